import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../test/support/ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../test/support/until.js';
import type { Reading } from './decide.js';
import { PrometheusSource } from './prometheus-source.js';

/**
 * Debian's Prometheus scraping a real target on loopback every 250 ms: the target serves a gauge the
 * test sets, the way a webapp serves its request rate.
 */
let dir: string;
let prometheus: ChildProcess;
let prometheusUrl: string;
let target: Server;
let output = '';
const registry = new Registry();
const load = new Gauge({
  name: 'remcode_test_load',
  help: 'load set by the test',
  labelNames: ['shard'],
  registers: [registry],
});
const source = new PrometheusSource({ timeoutMs: 2_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remcode-prom-'));
  load.set({ shard: 'a' }, 3);
  target = createServer((_request, response) => {
    void registry.metrics().then((text) => {
      response.setHeader('content-type', registry.contentType);
      response.end(text);
    });
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetPort = (target.address() as AddressInfo).port;
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 250ms, evaluation_interval: 250ms }',
      'scrape_configs:',
      `  - { job_name: target, static_configs: [{ targets: ['127.0.0.1:${targetPort}'] }] }`,
      '',
    ].join('\n'),
  );
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  prometheus.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  await until(
    async () => (await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined))?.ok === true,
    30_000,
    'Prometheus to be ready',
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${output}`);
  });
}, 60_000);

afterAll(async () => {
  prometheus.kill('SIGTERM');
  await new Promise((resolve) =>
    prometheus.exitCode !== null ? resolve(null) : prometheus.once('exit', resolve),
  );
  await new Promise((resolve) => target.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const valueOf = (reading: Reading): number | undefined =>
  reading.status === 'ok' ? reading.value : undefined;

describe('Prometheus source', () => {
  it('reads the value a real scrape stored, and follows it when it moves', async () => {
    const query = 'sum(remcode_test_load)';
    await until(
      async () => valueOf(await source.query(prometheusUrl, query)) === 3,
      30_000,
      'the first scrape',
    );
    load.set({ shard: 'a' }, 7.5);
    await until(
      async () => valueOf(await source.query(prometheusUrl, query)) === 7.5,
      30_000,
      'the new value',
    );
  });

  it('answers no data, not zero, for a query that matches no series', async () => {
    expect(await source.query(prometheusUrl, 'sum(remcode_no_such_metric)')).toMatchObject({
      status: 'no_data',
    });
    expect(await source.query(prometheusUrl, 'remcode_no_such_metric')).toMatchObject({ status: 'no_data' });
  });

  // Prometheus marks a series stale at the first scrape without it: the answer is empty, not 0.
  it('answers no data for a series that has vanished from the target', async () => {
    load.set({ shard: 'gone' }, 5);
    const query = 'remcode_test_load{shard="gone"}';
    await until(async () => valueOf(await source.query(prometheusUrl, query)) === 5, 30_000, 'the series');
    load.remove({ shard: 'gone' });
    await until(
      async () => (await source.query(prometheusUrl, query)).status === 'no_data',
      30_000,
      'the series to vanish',
    );
  });

  it('answers no data for NaN, as a ratio over an idle service gives', async () => {
    expect(await source.query(prometheusUrl, '0/0')).toMatchObject({ status: 'no_data' });
  });

  it('refuses a query that returns several series', async () => {
    load.set({ shard: 'b' }, 1);
    await until(
      async () => valueOf(await source.query(prometheusUrl, 'count(remcode_test_load)')) === 2,
      30_000,
      'two series',
    );
    const reading = await source.query(prometheusUrl, 'remcode_test_load');
    expect(reading).toMatchObject({ status: 'error' });
    expect(reading.status === 'error' ? reading.message : '').toMatch(/returned 2 series/);
  });

  it('reports a bad query and an unreachable server as errors', async () => {
    const bad = await source.query(prometheusUrl, 'sum(');
    expect(bad).toMatchObject({ status: 'error' });
    expect(bad.status === 'error' ? bad.message : '').toMatch(/bad_data/);
    const down = await source.query(`http://127.0.0.1:${await freePort()}`, 'up');
    expect(down).toMatchObject({ status: 'error' });
  });
});
