/**
 * npm run bench — what the whole service costs over running the program directly.
 *
 * Starts a webapp and an executor (real processes, real sandbox) against a scratch database and Redis
 * prefix, then runs the same Python hello world (a) as a bare spawn from this process and (b) through
 * `POST /api/v1/submissions?wait=true`, interleaved, at concurrency 1 and 8. Prints p50/p90/p99 latency,
 * throughput and the ratios, then the requests per second of `GET /api/v1/submissions/:id`.
 * Targets: at c=1, API p50 at most 6 ms above bare; at c=8, API throughput at least 85% of bare.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
} from '../test/support/isolation.js';
import { startExecutor, startWebapp } from '../test/support/processes.js';
import { ROLES, accumulate, emptyReading, readCpu } from './cpu-meter.js';
import type { CpuReading } from './cpu-meter.js';

// A run takes 5-10 ms here: 400 per mode keeps each c=8 round near half a second, long enough that one
// slow moment of the machine does not decide the ratio.
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 400);
const ROUNDS = 4;
const SOURCE = 'print("Hello, World!")\n';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function bare(file: string): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || out !== 'Hello, World!\n') reject(new Error(`bare run failed: ${code}`));
      else resolve(performance.now() - start);
    });
  });
}

/**
 * The load generator shares the machine with the service, so it uses node:http over kept-alive sockets:
 * fetch costs about 2 ms of CPU per request here, which the bare runs would not pay.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function send(url: string, method: 'GET' | 'POST', body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers:
          body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const BODY = JSON.stringify({ language: 'python', source: SOURCE });

async function api(base: string): Promise<number> {
  const start = performance.now();
  const response = await send(`${base}/api/v1/submissions?wait=true`, 'POST', BODY);
  const body = JSON.parse(response.text) as { verdict?: string; stdout?: string };
  if (response.status !== 200 || body.verdict !== 'accepted' || body.stdout !== 'Hello, World!\n') {
    throw new Error(`API run failed: ${response.status} ${response.text.slice(0, 300)}`);
  }
  return performance.now() - start;
}

interface Sample {
  latencies: number[];
  /** Sum of the wall time of each timed phase, for throughput. */
  phaseMs: number;
  runs: number;
  /** CPU seconds by role over the timed phases. */
  cpu: CpuReading;
}

let servicePids = { webapp: 0, executor: 0 };

/** `concurrency` workers each run `task` until `count` runs are done; returns per-run latencies and wall. */
async function phase(
  count: number,
  concurrency: number,
  task: () => Promise<number>,
  into: Sample,
): Promise<void> {
  let started = 0;
  const cpuBefore = readCpu(servicePids);
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started++;
        into.latencies.push(await task());
      }
    }),
  );
  into.phaseMs += performance.now() - begin;
  accumulate(into.cpu, cpuBefore, readCpu(servicePids));
  into.runs += count;
}

function row(name: string, s: Sample): string[] {
  const sorted = [...s.latencies].sort((a, b) => a - b);
  return [
    name,
    percentile(sorted, 50).toFixed(2),
    percentile(sorted, 90).toFixed(2),
    percentile(sorted, 99).toFixed(2),
    ((s.runs / s.phaseMs) * 1000).toFixed(1),
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const prefix = testPrefix();
  const dir = mkdtempSync(join(tmpdir(), 'remcode-bench-'));
  const file = join(dir, 'main.py');
  writeFileSync(file, SOURCE);
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REMCODE_PREFIX: prefix,
    PORT: '0',
    EXECUTOR_METRICS_PORT: '0',
    // As deployed: info, which logs one line per finished job.
    LOG_LEVEL: 'info',
    // The executor's own settings pass through, to compare them on one machine.
    ...Object.fromEntries(
      ['EXECUTOR_SLOTS', 'EXECUTOR_STANDBY_SLOTS', 'EXECUTOR_WARM'].flatMap((k): [string, string][] => {
        const value = process.env[k];
        return value === undefined ? [] : [[k, value]];
      }),
    ),
  };
  const web = await startWebapp(env);
  const executor = await startExecutor(env);
  servicePids = { webapp: web.process.child.pid ?? 0, executor: executor.child.pid ?? 0 };
  try {
    const base = web.url;
    console.log(
      `service bench: python hello, ${ITERATIONS} runs per mode and concurrency, ${availableParallelism()} cores, executor slots = ${process.env.EXECUTOR_SLOTS ?? 'cores'}, standby = ${process.env.EXECUTOR_STANDBY_SLOTS ?? 'slots'}`,
    );
    for (let i = 0; i < 20; i++) await Promise.all([bare(file), api(base)]);

    const results: Record<string, Sample> = {};
    const sample = (key: string): Sample =>
      (results[key] ??= { latencies: [], phaseMs: 0, runs: 0, cpu: emptyReading() });
    // c=1: strictly alternate one bare run and one API run.
    for (let i = 0; i < ITERATIONS; i++) {
      await phase(1, 1, () => bare(file), sample('bare c=1'));
      await phase(1, 1, () => api(base), sample('api c=1'));
    }
    // c=8: alternate rounds of each, so both see the same machine noise.
    for (let r = 0; r < ROUNDS; r++) {
      await phase(ITERATIONS / ROUNDS, 8, () => bare(file), sample('bare c=8'));
      await phase(ITERATIONS / ROUNDS, 8, () => api(base), sample('api c=8'));
    }
    const rows = [['mode', 'p50 ms', 'p90 ms', 'p99 ms', 'runs/s']];
    for (const key of ['bare c=1', 'api c=1', 'bare c=8', 'api c=8']) rows.push(row(key, sample(key)));
    console.log(`\n${table(rows)}\n`);
    const p50 = (key: string): number =>
      percentile(
        [...sample(key).latencies].sort((a, b) => a - b),
        50,
      );
    const rate = (key: string): number => sample(key).runs / sample(key).phaseMs;
    const overhead = p50('api c=1') - p50('bare c=1');
    const throughputRatio = rate('api c=8') / rate('bare c=8');
    console.log(
      `c=1: API p50 is ${overhead.toFixed(2)} ms above bare (ratio ${(p50('api c=1') / p50('bare c=1')).toFixed(2)}; target <= 6 ms)`,
    );
    console.log(`c=8: API throughput is ${(throughputRatio * 100).toFixed(1)}% of bare (target >= 85%)`);

    // Where each run's CPU went, by process role; "busy" is the share of both cores in use.
    const cpuRows = [['CPU ms per run', ...ROLES, 'total', 'busy']];
    for (const key of ['bare c=1', 'api c=1', 'bare c=8', 'api c=8']) {
      const { cpu, runs } = sample(key);
      const perRun = (seconds: number): string => ((seconds * 1000) / runs).toFixed(2);
      cpuRows.push([
        key,
        ...ROLES.map((r) => perRun(cpu[r])),
        perRun(ROLES.reduce((sum, r) => sum + cpu[r], 0)),
        `${((cpu.machineBusy / cpu.machineTotal) * 100).toFixed(0)}%`,
      ]);
    }
    console.log(`\n${table(cpuRows)}\n`);

    // GET of a finished submission, 32 clients for three seconds.
    const created = await send(`${base}/api/v1/submissions?wait=true`, 'POST', BODY);
    const { id } = JSON.parse(created.text) as { id: string };
    let gets = 0;
    const getLatencies: number[] = [];
    const until = performance.now() + 3_000;
    const getStart = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (performance.now() < until) {
          const t = performance.now();
          const response = await send(`${base}/api/v1/submissions/${id}`, 'GET');
          if (response.status !== 200) throw new Error(`GET answered ${response.status}`);
          getLatencies.push(performance.now() - t);
          gets++;
        }
      }),
    );
    const sorted = getLatencies.sort((a, b) => a - b);
    console.log(
      `GET /api/v1/submissions/:id at 32 concurrent clients: ${((gets / (performance.now() - getStart)) * 1000).toFixed(0)} requests/s (p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms)`,
    );
  } finally {
    agent.destroy();
    executor.kill('SIGTERM');
    web.process.kill('SIGTERM');
    await Promise.all([executor.exited, web.process.exited]);
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
    await deleteRedisPrefix(prefix);
  }
}

await main();
