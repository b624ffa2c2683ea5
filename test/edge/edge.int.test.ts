/**
 * The edge on a real single-node Swarm: the platform from manifests/remcode.yaml, with the webapp at
 * three replicas behind HAProxy, under a steady load of submissions while the webapp is scaled, rolled
 * to a new image and has a task killed outright. Every accepted submission must finish once with its
 * own output, and no request may fail: with an Idempotency-Key, a POST cut off by a killed task is
 * retried by the edge like a GET. Then each of the executor, Redis, Postgres and a webapp task is
 * SIGKILLed under a short load (60 submissions at 20 per second) and restarted by Swarm: nothing
 * refused, lost or stored twice (`npm run bench:restarts -- --swarm` is the long form).
 * Builds the platform images when missing (minutes on a fresh machine). REMCODE_E2E_SWARM=0 skips it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KILLED_PARTS, killTable, killUnderLoad, type KillRow } from '../support/kill-under-load.js';
import { SubmissionLoad, verifyAccepted, type LoadReport } from '../support/load.js';
import { ensureImages, startPlatform, type PlatformStack } from '../support/platform-stack.js';
import { docker, uniqueStack, waitFor } from '../support/swarm.js';

const enabled = process.env.REMCODE_E2E_SWARM !== '0';
const PORT = 18_080;
const WORKERS = 4;

/** Requests answered by each running webapp task, read from its own metrics. */
async function requestsPerTask(platform: PlatformStack): Promise<number[]> {
  const counts: number[] = [];
  for (const container of await platform.containers('webapp')) {
    const text = await platform.exec(container.Id, [
      '/usr/bin/node',
      '-e',
      "fetch('http://127.0.0.1:8080/metrics').then(r => r.text()).then(t => process.stdout.write(t))",
    ]);
    let total = 0;
    for (const line of text.split('\n')) {
      const match =
        /^remcode_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/submissions[^"]*"[^}]*\} (\d+)/.exec(
          line,
        );
      if (match) total += Number(match[1]);
    }
    counts.push(total);
  }
  return counts;
}

/** Rows in the stack's Postgres: a retried POST that ran twice would show as one row too many. */
async function storedSubmissions(platform: PlatformStack): Promise<number> {
  const [postgres] = await platform.containers('postgres');
  if (!postgres) throw new Error('no running postgres task');
  const out = await platform.exec(
    postgres.Id,
    ['psql', '-U', 'postgres', '-d', 'remcode', '-tAc', 'SELECT count(*) FROM submissions'],
    'postgres',
  );
  return Number(out.trim());
}

async function expectNothingLost(platform: PlatformStack, report: LoadReport, before: number): Promise<void> {
  const { wrong, unfinished } = await verifyAccepted(platform.base, report.accepted);
  expect({ wrong, unfinished, wrongLive: report.wrongResults }).toEqual({
    wrong: [],
    unfinished: [],
    wrongLive: [],
  });
  // Every row is one accepted submission: none created twice by a retry, none stored without an answer.
  expect(await storedSubmissions(platform)).toBe(before + report.accepted.size);
}

describe.runIf(enabled)('the edge in front of N webapp replicas on one node', () => {
  let platform: PlatformStack;

  beforeAll(async () => {
    await ensureImages();
    platform = await startPlatform({ port: PORT, webappReplicas: 3 });
  }, 1_800_000);

  afterAll(async () => {
    await platform?.remove();
  }, 300_000);

  it('runs three webapp tasks on one node and spreads requests over all of them', async () => {
    expect(await platform.containers('webapp')).toHaveLength(3);
    const before = await requestsPerTask(platform);
    const load = new SubmissionLoad({ base: platform.base, workers: WORKERS });
    load.start();
    await waitFor('60 requests through the edge', () => Promise.resolve(load.requestCount >= 60), 120_000);
    const report = await load.stop();
    const after = await requestsPerTask(platform);
    const served = after.map((count, i) => count - (before[i] ?? 0));
    console.log(`requests per webapp task: ${served.join(', ')}`);
    expect(report.failures).toEqual([]);
    expect(served.every((count) => count > 0)).toBe(true);
  }, 180_000);

  it('loses no request while the webapp is scaled 3 → 1 → 4 and rolled to a new image', async () => {
    const before = await storedSubmissions(platform);
    const load = new SubmissionLoad({ base: platform.base, workers: WORKERS });
    load.start();
    const webapp = platform.desired.services.webapp as { replicas?: number; image: string };
    let stopped: Promise<LoadReport> | undefined;
    try {
      await waitFor('load under way', () => Promise.resolve(load.requestCount >= 20), 60_000);
      webapp.replicas = 1;
      await platform.apply();
      await platform.settled('webapp');
      await waitFor('load on one task', () => Promise.resolve(load.requestCount >= 80), 60_000);
      webapp.replicas = 4;
      await platform.apply();
      await platform.settled('webapp');
      // A new image name for the same program: Swarm replaces every task, start-first, one at a time.
      const tag = `roll-${uniqueStack()}`;
      await docker.getImage('remcode-webapp:local').tag({ repo: 'remcode-webapp', tag });
      webapp.image = `remcode-webapp:${tag}`;
      try {
        await platform.apply();
        await platform.settled('webapp');
      } finally {
        webapp.image = 'remcode-webapp:local';
        await platform.apply();
        await platform.settled('webapp');
        await docker.getImage(`remcode-webapp:${tag}`).remove();
      }
    } finally {
      stopped = load.stop();
    }
    const report = await stopped;
    console.log(
      `scale and roll: ${JSON.stringify(report.requests)} requests, ${report.failures.length} failed, ` +
        `${report.streamsFinished} streams finished with ${report.streamReconnects} reconnects`,
    );
    expect(report.failures).toEqual([]);
    expect(report.streamsFinished).toBe(report.requests.stream);
    await expectNothingLost(platform, report, before);
  }, 900_000);

  it('a webapp task killed outright costs no request: the edge retries what it held on another task', async () => {
    const before = await storedSubmissions(platform);
    // Clients that send an Idempotency-Key, so that the edge may send a POST cut off by the kill again.
    const load = new SubmissionLoad({ base: platform.base, workers: WORKERS, idempotencyKeys: true });
    load.start();
    let stopped: Promise<LoadReport> | undefined;
    try {
      await waitFor('load under way', () => Promise.resolve(load.requestCount >= 20), 60_000);
      const [victim] = await platform.containers('webapp');
      if (!victim) throw new Error('no webapp task to kill');
      await docker.getContainer(victim.Id).kill({ signal: 'SIGKILL' });
      await waitFor('the edge to route around it', () => Promise.resolve(load.requestCount >= 150), 120_000);
      await platform.settled('webapp');
    } finally {
      stopped = load.stop();
    }
    const report = await stopped;
    const failed = report.failures;
    console.log(`SIGKILL of one webapp task: ${failed.length} failed of ${JSON.stringify(report.requests)}`);
    expect(failed).toEqual([]);
    expect(report.streamsFinished).toBe(report.requests.stream);
    // A POST cut off after its row was stored and sent again was answered with that row: one each.
    await expectNothingLost(platform, report, before);
  }, 600_000);

  it('rides through a SIGKILL of the executor, Redis, Postgres and a webapp task: nothing rejected, lost or stored twice', async () => {
    const rows: KillRow[] = [];
    for (const killed of KILLED_PARTS) rows.push(await killUnderLoad(platform, killed));
    console.log(killTable(rows));
    for (const r of rows)
      expect({
        killed: r.killed,
        rejected: r.rejected,
        lost: r.lost,
        wrong: r.wrong,
        storedTwice: r.storedTwice,
      }).toEqual({ killed: r.killed, rejected: [], lost: 0, wrong: 0, storedTwice: 0 });
  }, 900_000);
});
