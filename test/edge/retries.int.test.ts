/**
 * The edge's configuration as shipped (manifests/images/edge/haproxy.cfg, run from Debian's haproxy) in
 * front of two webapp processes, under a steady load of clients that send each POST with an
 * Idempotency-Key, while one webapp is killed outright in the middle of a request it holds. Every
 * request must succeed (the edge sends what the dead one held to the other), and every accepted
 * submission must be stored once and finish with its own output. Real processes, Redis and Postgres.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../support/edge.js';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
  type TestDatabase,
} from '../support/isolation.js';
import { SubmissionLoad, verifyAccepted } from '../support/load.js';
import { platformEnv, startExecutor, startWebapp, type ServiceProcess } from '../support/processes.js';
import { until } from '../support/until.js';

let db: TestDatabase;
let prefix: string;
let edge: RunningEdge | undefined;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  prefix = testPrefix();
});

afterAll(async () => {
  await edge?.close();
  for (const p of started.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
  await db.drop();
  await deleteRedisPrefix(prefix);
});

/** A gauge or counter of one program's /metrics (summed over its labels). */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let total = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm')))
    total += Number(match[1]);
  return total;
}

async function storedRows(): Promise<number> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM submissions');
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

describe('the edge in front of two webapps, one killed outright', () => {
  it('fails no request of clients that send an Idempotency-Key, and stores each submission once', async () => {
    const env = platformEnv(
      { databaseUrl: db.url, redisUrl: TEST_REDIS_URL, prefix },
      { EXECUTOR_SLOTS: '2', REMCODE_WAIT_TIMEOUT: '60s' },
    );
    const webapps = [await startWebapp(env), await startWebapp(env)];
    started.push(...webapps.map((w) => w.process));
    started.push(await startExecutor(env));
    edge = await startEdge(webapps.map((w) => new URL(w.url).host));
    const base = edge.url;
    await until(
      async () => {
        const languages = (await (await fetch(`${base}/api/v1/languages`)).json()) as {
          available: boolean;
        }[];
        return languages.some((l) => l.available);
      },
      60_000,
      'the executor to publish its languages',
    );

    // One POST that is sure to be in a webapp when it dies: it waits for a program that takes seconds.
    // The webapp that holds it is the one killed.
    const slow = fetch(`${base}/api/v1/submissions?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `slow-${prefix}` },
      body: JSON.stringify({
        language: 'python',
        source: 'import time\ntime.sleep(8)\nprint("slow")',
        limits: { wall_time: '30s' },
      }),
    });
    let holder: number | undefined;
    await until(
      async () => {
        const waits = await Promise.all(
          webapps.map((w) => metric(`${w.url}/metrics`, 'remcode_wait_requests')),
        );
        holder = waits.findIndex((n) => n > 0);
        return holder >= 0;
      },
      30_000,
      'the slow POST to wait in a webapp',
    );
    const victim = webapps[holder ?? 0];
    if (!victim) throw new Error('no webapp holds the slow POST');

    const load = new SubmissionLoad({ base, workers: 4, idempotencyKeys: true });
    load.start();
    try {
      await until(() => load.requestCount >= 20, 60_000, 'load under way');
      victim.process.kill('SIGKILL');
      await victim.process.exited;
      const at = load.requestCount;
      await until(() => load.requestCount >= at + 60, 120_000, 'load on the webapp left');
    } finally {
      const report = await load.stop();
      const retried = await metric(
        `http://${edge.metricsAddress}/metrics`,
        'haproxy_backend_retry_warnings_total',
      );
      const redispatched = await metric(
        `http://${edge.metricsAddress}/metrics`,
        'haproxy_backend_redispatch_warnings_total',
      );
      console.log(
        `SIGKILL of one of two webapps behind the edge: ${JSON.stringify(report.requests)} requests, ` +
          `${report.failures.length} failed, ${retried} retried and ${redispatched} redispatched by the edge, ` +
          `${report.streamsFinished} streams finished with ${report.streamReconnects} reconnects`,
      );
      expect(report.failures).toEqual([]);
      // The POST cut off in the killed webapp was sent to the other, which answered with its result.
      const answer = await slow;
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ state: 'finished', stdout: 'slow\n' });
      expect(report.wrongResults).toEqual([]);
      // The kill cut requests off: the edge had something to retry.
      expect(retried + redispatched).toBeGreaterThan(0);
      const { wrong, unfinished } = await verifyAccepted(base, report.accepted);
      expect({ wrong, unfinished }).toEqual({ wrong: [], unfinished: [] });
      // A retried POST was answered with the submission its first try stored, never a second one.
      expect(await storedRows()).toBe(report.accepted.size + 1);
    }
  }, 240_000);
});
