/**
 * npm run bench:restarts — what a restart of each part costs the clients.
 *
 * Runs the service as `npm start` does (a webapp and an executor process, real sandbox) against a Redis
 * (append-only file, fsync every second, as in the Swarm manifest) and a Postgres of its own, and for
 * each of executor, Redis, Postgres and webapp: sends SUBMISSIONS Python submissions at RATE per second,
 * SIGKILLs that part KILL_AT_MS in, and starts it again RESTART_AFTER_MS later (Swarm's restart of a
 * task). Clients do not retry; with BENCH_CLIENTS=retry each sends an Idempotency-Key and repeats a
 * POST whose connection failed or that got a 503, with backoff, for up to CLIENT_PATIENCE_MS, as a
 * careful client (or the browser UI) does. BENCH_PARTS=webapp,redis picks parts. Then it waits for
 * every accepted submission to finish and prints, per part: accepted, rejected (by status or error),
 * lost (accepted, never finished) and run twice (a run delivered again, or a submission stored twice).
 *
 * `npm run bench:restarts -- --swarm` does the same on the single-node Swarm stack of
 * manifests/remcode.yaml (images built when missing; BENCH_WEBAPPS webapp tasks behind the edge,
 * default 2, on 127.0.0.1:BENCH_PORT): one task of each part gets `docker kill` and Swarm restarts it.
 * Clients send each POST once with an Idempotency-Key. The table adds runs delivered again.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startDisposablePostgres, startDisposableRedis } from '../test/support/disposable-servers.js';
import { killTable, killUnderLoad, type KillRow } from '../test/support/kill-under-load.js';
import { ensureImages, startPlatform } from '../test/support/platform-stack.js';
import type { DisposableServer } from '../test/support/disposable-servers.js';
import { freePort } from '../test/support/ports.js';
import { startExecutor, startWebapp } from '../test/support/processes.js';
import type { ServiceProcess } from '../test/support/processes.js';

const SUBMISSIONS = Number(process.env.BENCH_SUBMISSIONS ?? 300);
const RATE = Number(process.env.BENCH_RATE ?? 40);
const KILL_AT_MS = 3_000;
const RESTART_AFTER_MS = Number(process.env.BENCH_RESTART_AFTER_MS ?? 2_000);
const SETTLE_MS = 90_000;
const ALL_PARTS = ['executor', 'redis', 'postgres', 'webapp'] as const;
type Part = (typeof ALL_PARTS)[number];
const PARTS: readonly Part[] = process.env.BENCH_PARTS
  ? ALL_PARTS.filter((p) => process.env.BENCH_PARTS?.split(',').includes(p))
  : ALL_PARTS;
const RETRYING = process.env.BENCH_CLIENTS === 'retry';
const CLIENT_PATIENCE_MS = 30_000;

interface Row {
  readonly part: Part;
  readonly accepted: number;
  readonly rejected: number;
  readonly reasons: Map<string, number>;
  readonly lost: number;
  readonly runTwice: number;
}

async function swarm(): Promise<void> {
  await ensureImages();
  const platform = await startPlatform({
    port: Number(process.env.BENCH_PORT ?? 18_090),
    webappReplicas: Number(process.env.BENCH_WEBAPPS ?? 2),
  });
  const rows: KillRow[] = [];
  try {
    for (const part of PARTS)
      rows.push(
        await killUnderLoad(platform, part, { submissions: SUBMISSIONS, rate: RATE, killAtMs: KILL_AT_MS }),
      );
  } finally {
    await platform.remove();
  }
  console.log(
    `\nrestarts on the Swarm stack: ${SUBMISSIONS} submissions at ${RATE}/s, one task SIGKILLed ${KILL_AT_MS / 1000} s in and restarted by Swarm; each POST sent once with an Idempotency-Key\n`,
  );
  console.log(killTable(rows));
}

async function main(): Promise<void> {
  if (process.argv.includes('--swarm')) return swarm();
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
  const clients = RETRYING
    ? `clients repeat a failed POST with its Idempotency-Key for up to ${CLIENT_PATIENCE_MS / 1000} s`
    : 'clients do not retry';
  console.log(
    `\nrestarts: ${SUBMISSIONS} submissions at ${RATE}/s, one part SIGKILLed ${KILL_AT_MS / 1000} s in and started ${RESTART_AFTER_MS / 1000} s later; ${clients}\n`,
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
  const once = async (key: string): Promise<{ id?: string; failure?: string; passing: boolean }> => {
    try {
      const response = await fetch(`${url}/api/v1/submissions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(RETRYING ? { 'idempotency-key': key } : {}) },
        body,
      });
      const json = (await response.json().catch(() => ({}))) as { id?: string; code?: string };
      if (response.status === 201 && json.id !== undefined) return { id: json.id, passing: false };
      return {
        failure: `${response.status}${json.code ? ` ${json.code}` : ''}`,
        passing: response.status === 503,
      };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { failure: cause?.code ?? 'network error', passing: true };
    }
  };
  const submit = async (): Promise<void> => {
    const key = randomUUID();
    const deadline = Date.now() + CLIENT_PATIENCE_MS;
    for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
      const { id, failure, passing } = await once(key);
      if (id !== undefined) {
        accepted.push(id);
        return;
      }
      if (!RETRYING || !passing || Date.now() + delay > deadline) {
        reject(failure ?? 'unknown');
        return;
      }
      await sleep(delay);
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
  // Rows this scenario stored beyond the submissions its clients were told of: with retrying clients,
  // a repeated POST that created a second submission (none when the key brings back the first).
  const { rows: created } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM submissions WHERE created_at >= $1',
    [new Date(began)],
  );
  // Without retries an extra row is a POST whose answer was lost: accepted unknowingly, not run twice.
  const storedTwice = RETRYING ? Math.max(0, Number(created[0]?.n ?? 0) - new Set(accepted).size) : 0;
  const rejected = SUBMISSIONS - accepted.length;
  return {
    part,
    accepted: accepted.length,
    rejected,
    reasons,
    lost: accepted.length - finished.size,
    runTwice: [...finished.values()].filter((attempts) => attempts > 1).length + storedTwice,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
