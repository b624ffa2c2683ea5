/**
 * npm run bench:restarts — what a restart of each part costs the clients.
 *
 * Runs the service as `npm start` does (a webapp and an executor process, real sandbox) against a Redis
 * (append-only file, fsync every second, as in the Swarm manifest) and a Postgres of its own, and for
 * each of executor, Redis, Postgres and webapp: sends SUBMISSIONS Python submissions at RATE per second,
 * SIGKILLs that part KILL_AT_MS in, and starts it again RESTART_AFTER_MS later (Swarm's restart of a
 * task). Clients do not retry. Then it waits for every accepted submission to finish and prints, per
 * part: accepted, rejected (by status or error), lost (accepted, never finished) and run twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startDisposablePostgres, startDisposableRedis } from '../test/support/disposable-servers.js';
import type { DisposableServer } from '../test/support/disposable-servers.js';
import { freePort } from '../test/support/ports.js';
import { startExecutor, startWebapp } from '../test/support/processes.js';
import type { ServiceProcess } from '../test/support/processes.js';

const SUBMISSIONS = Number(process.env.BENCH_SUBMISSIONS ?? 300);
const RATE = Number(process.env.BENCH_RATE ?? 40);
const KILL_AT_MS = 3_000;
const RESTART_AFTER_MS = Number(process.env.BENCH_RESTART_AFTER_MS ?? 2_000);
const SETTLE_MS = 90_000;
const PARTS = ['executor', 'redis', 'postgres', 'webapp'] as const;
type Part = (typeof PARTS)[number];

interface Row {
  readonly part: Part;
  readonly accepted: number;
  readonly rejected: number;
  readonly reasons: Map<string, number>;
  readonly lost: number;
  readonly runTwice: number;
}

async function main(): Promise<void> {
  const [redis, postgres] = await Promise.all([
    startDisposableRedis(['--appendonly', 'yes', '--appendfsync', 'everysec']),
    startDisposablePostgres(['max_connections=100']),
  ]);
  const port = await freePort();
  const databaseUrl = postgres.url.replace(/\/postgres$/, '/remcode');
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    REMCODE_PREFIX: 'bench-restarts',
    PORT: String(port),
    EXECUTOR_METRICS_PORT: '0',
    // Info: the process helpers wait for the start lines.
    LOG_LEVEL: 'info',
  };
  const parts: { webapp: ServiceProcess | undefined; executor: ServiceProcess | undefined } = {
    webapp: undefined,
    executor: undefined,
  };
  const start = async (which: 'webapp' | 'executor'): Promise<void> => {
    parts[which] = which === 'webapp' ? (await startWebapp(env)).process : await startExecutor(env);
  };
  await start('webapp');
  await start('executor');
  const url = `http://127.0.0.1:${port}`;
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  db.on('error', () => undefined);
  const rows: Row[] = [];
  try {
    for (const part of PARTS) rows.push(await scenario(part, url, db, { redis, postgres }, parts, start));
  } finally {
    parts.webapp?.kill('SIGKILL');
    parts.executor?.kill('SIGKILL');
    await db.end().catch(() => undefined);
    await Promise.all([redis.close(), postgres.close()]);
  }
  console.log(
    `\nrestarts: ${SUBMISSIONS} submissions at ${RATE}/s, one part SIGKILLed ${KILL_AT_MS / 1000} s in and started ${RESTART_AFTER_MS / 1000} s later; clients do not retry\n`,
  );
  console.log('| killed | accepted | rejected | lost | run twice |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const why = [...r.reasons].map(([reason, n]) => `${n} × ${reason}`).join(', ');
    console.log(
      `| ${r.part} | ${r.accepted} | ${r.rejected}${why ? ` (${why})` : ''} | ${r.lost} | ${r.runTwice} |`,
    );
  }
}

async function scenario(
  part: Part,
  url: string,
  db: pg.Pool,
  servers: { redis: DisposableServer; postgres: DisposableServer },
  parts: { webapp: ServiceProcess | undefined; executor: ServiceProcess | undefined },
  start: (which: 'webapp' | 'executor') => Promise<void>,
): Promise<Row> {
  const accepted: string[] = [];
  const reasons = new Map<string, number>();
  const reject = (reason: string): void => {
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };
  const body = JSON.stringify({ language: 'python', source: `print("${part}")\n` });
  const submit = async (): Promise<void> => {
    try {
      const response = await fetch(`${url}/api/v1/submissions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const json = (await response.json().catch(() => ({}))) as { id?: string; code?: string };
      if (response.status === 201 && json.id !== undefined) accepted.push(json.id);
      else reject(`${response.status}${json.code ? ` ${json.code}` : ''}`);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      reject(cause?.code ?? 'network error');
    }
  };
  const outage = (async () => {
    await sleep(KILL_AT_MS);
    if (part === 'redis') await servers.redis.kill();
    else if (part === 'postgres') await servers.postgres.kill();
    else {
      const proc = parts[part];
      proc?.kill('SIGKILL');
      await proc?.exited;
    }
    await sleep(RESTART_AFTER_MS);
    if (part === 'redis') await servers.redis.start();
    else if (part === 'postgres') await servers.postgres.start();
    else await start(part);
  })();
  const requests: Promise<void>[] = [];
  const began = Date.now();
  for (let i = 0; i < SUBMISSIONS; i++) {
    const due = began + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    requests.push(submit());
  }
  await Promise.all(requests);
  await outage;
  const deadline = Date.now() + SETTLE_MS;
  let finished = new Map<string, number>();
  while (Date.now() < deadline) {
    const { rows } = await db
      .query<{ id: string; attempts: number }>(
        "SELECT id, attempts FROM submissions WHERE state = 'finished' AND id = ANY($1::uuid[])",
        [accepted],
      )
      .catch(() => ({ rows: [] as { id: string; attempts: number }[] }));
    finished = new Map(rows.map((r) => [r.id, r.attempts]));
    if (finished.size === accepted.length) break;
    await sleep(500);
  }
  const rejected = SUBMISSIONS - accepted.length;
  return {
    part,
    accepted: accepted.length,
    rejected,
    reasons,
    lost: accepted.length - finished.size,
    runTwice: [...finished.values()].filter((attempts) => attempts > 1).length,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
