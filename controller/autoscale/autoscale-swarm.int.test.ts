import { Registry } from 'prom-client';
import { redisKeys } from '../../common/keys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  autoscalerFor,
  claims,
  startAutoscaleStack,
  type AutoscaleStack,
} from '../../test/support/autoscale-stack.js';
import { verifyAccepted } from '../../test/support/load.js';
import { waitFor } from '../../test/support/swarm.js';
import type { Autoscaler } from './autoscaler.js';
import type { QueueSource } from './queue-source.js';

/**
 * The autoscaler on the real single-node Swarm: Redis, Postgres, the webapp and the executor from the
 * shipped manifest and images (test/support/autoscale-stack.ts), the executor under an autoscale
 * policy, and the controller's reconciler and autoscaler in this process.
 */
const BURST = 18;
let platform: AutoscaleStack;
let queue: QueueSource;
let autoscaler: Autoscaler;
const registry = new Registry();

beforeAll(async () => {
  platform = await startAutoscaleStack({
    executor: {
      autoscale: {
        min: 1,
        max: 3,
        interval: '1s',
        scale_up: { max_replicas: 2, period: '5s' },
        scale_down: { stabilization: '10s', period: '1s' },
        checks: { backlog: { queue: {} } },
      },
    },
  });
  ({ autoscaler, queue } = autoscalerFor(platform, registry));
}, 420_000);

afterAll(async () => {
  await autoscaler?.close();
  await queue?.close();
  await platform?.remove();
}, 180_000);

describe('autoscaling on Swarm', () => {
  it('a burst drives executor replicas up; once drained they return to the minimum; every run finishes once', async () => {
    expect((await platform.executorReplicas()).spec).toBe(1);
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < BURST; i++)
      ids.push(await platform.submit(`import time\ntime.sleep(5)\nprint(${i})\n`));

    await waitFor(
      'the autoscaler to ask for 3 executors',
      async () => (await platform.executorReplicas()).spec === 3,
      60_000,
    );
    const decided = Date.now();
    // A reconcile pass during the burst must not put the file's count back.
    await platform.converge();
    expect((await platform.executorReplicas()).spec).toBe(3);

    const finished = await verifyAccepted(
      platform.webappUrl,
      new Map(ids.map((id, i) => [id, `${i}\n`])),
      240_000,
    );
    expect(finished, 'every submission finished with its own output').toEqual({ wrong: [], unfinished: [] });

    // The window is 10 s; the idle executors retire and the count returns to 1.
    await waitFor(
      'executor replicas back at 1',
      async () => {
        const replicas = await platform.executorReplicas();
        return replicas.spec === 1 && replicas.running === 1;
      },
      180_000,
    );

    // Stored once each, and no run cut short: a run handed back and redelivered claims its row again,
    // and the executors count every run they cut short on leaving.
    const rows = await claims(platform.db, ids);
    expect(rows).toHaveLength(BURST);
    expect(rows.filter((row) => row.attempts !== 1)).toEqual([]);
    // New replicas served part of the burst: runs by an executor other than the one that was there.
    const first = rows[0]?.executor;
    const helped = rows.filter((row) => row.executor !== first);
    expect(helped.length).toBeGreaterThan(0);
    const serving = helped[0]?.started_at?.getTime() ?? Number.NaN;
    const text = await registry.metrics();
    const retired = Number(
      /remcode_autoscale_retirements_total\{service="executor",outcome="exited"\} (\d+)/.exec(text)?.[1] ?? 0,
    );
    expect(retired).toBeGreaterThan(0);
    const interrupted = ['retire', 'stop'].map((cause) =>
      Number(new RegExp(`remcode_runs_interrupted_total\\{cause="${cause}"\\} (\\d+)`).exec(text)?.[1]),
    );
    expect(interrupted).toEqual([0, 0]);
    const evaluations = autoscaler.status()[0]?.evaluations ?? [];
    console.log(
      `burst of ${BURST}: decision after ${decided - started} ms, a new replica serving after ` +
        `${serving - started} ms, ${new Set(rows.map((row) => row.executor)).size} executors served, ` +
        `${retired} retired, interrupted ${interrupted.join('/')} (retire/stop); last: ${evaluations[0]?.reason ?? '-'}`,
    );
  }, 600_000);

  it('a pool at zero stays routable, and its first submission wakes one executor that runs it', async () => {
    // The same stack, now allowed to scale to zero: the controller parks the pool as it goes.
    const executor = platform.desired.services['executor'];
    const policy = executor?.autoscale;
    if (!executor || !policy) throw new Error('the stack under test has no autoscaled executor');
    await autoscaler.setDesired({
      ...platform.desired,
      services: { ...platform.desired.services, executor: { ...executor, autoscale: { ...policy, min: 0 } } },
    });
    await waitFor(
      'the idle executor to retire and the count to reach 0',
      async () => {
        const replicas = await platform.executorReplicas();
        return replicas.spec === 0 && replicas.running === 0;
      },
      180_000,
    );
    // Its announcement expires with its heartbeat; only the parked one is left.
    const keys = redisKeys('remcode');
    await waitFor(
      "the last executor's announcement to expire",
      async () => (await platform.redis.exists(keys.pool('executor'))) === 0,
      60_000,
    );
    expect(await platform.redis.pttl(keys.parkedPool('executor'))).toBe(-1);
    // The webapp reuses its read of the pools for up to 5 s, so it says so a moment later.
    await waitFor(
      'the webapp to list python as cold',
      async () => {
        const languages = (await (await fetch(`${platform.webappUrl}/api/v1/languages`)).json()) as {
          id: string;
          cold: boolean;
        }[];
        return languages.find((l) => l.id === 'python')?.cold === true;
      },
      30_000,
    );

    const started = Date.now();
    const id = await platform.submit('print("woke")\n');
    await waitFor(
      'the autoscaler to wake the pool',
      async () => (await platform.executorReplicas()).spec === 1,
      60_000,
    );
    const decided = Date.now();
    const finished = await verifyAccepted(platform.webappUrl, new Map([[id, 'woke\n']]), 240_000);
    expect(finished, 'the first submission ran on the woken executor').toEqual({ wrong: [], unfinished: [] });
    const [row] = await claims(platform.db, [id]);
    expect(row?.attempts).toBe(1);
    const serving = row?.started_at?.getTime() ?? Number.NaN;
    console.log(
      `from zero: decision after ${decided - started} ms, the first submission started after ` +
        `${serving - started} ms and finished after ${Date.now() - started} ms (polled)`,
    );
  }, 600_000);
});
