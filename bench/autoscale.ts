/**
 * `npm run bench:autoscale`: one scripted load (a burst, a step up, a step down, an oscillation) against
 * the platform on the local Swarm, once with the executor autoscaled (1 to 3 replicas) and once at a
 * fixed count of 1 (what the autoscaled service costs at rest), measured in the same run.
 *
 * Prints, for each: burst start to the scale-up decision and to a new replica serving, queue wait
 * p50/p95, the replica count over time, direction changes per minute, runs interrupted by scale-in
 * (claimed more than once) and lost submissions. The counts over time are also saved as a chart,
 * test-output/bench/autoscale.png. Slow: a few minutes per mode.
 */
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import type { Autoscaler } from '../controller/autoscale/autoscaler.js';
import { QueueSource } from '../controller/autoscale/queue-source.js';
import type { AutoscaleDef } from '../controller/desired/schema.js';
import {
  autoscalerFor,
  claims,
  startAutoscaleStack,
  type AutoscaleStack,
} from '../test/support/autoscale-stack.js';
import { waitFor } from '../test/support/swarm.js';
import { writeChart, type Series } from './autoscale-chart.js';

const RUN_SECONDS = 3;
const POLICY: AutoscaleDef = {
  min: 1,
  max: 3,
  interval: '1s',
  scale_up: { max_replicas: 2, period: '5s' },
  scale_down: { stabilization: '15s', period: '1s' },
  checks: { backlog: { queue: {} } },
};

/**
 * Jobs to send, as [second, count]: a burst; a step up to 1 job/s (3 busy slots: 2 replicas); a step
 * down to a job every 3 s (1 busy slot: 1 replica); then 5 s on at 2 jobs/s and 5 s off, a load that
 * flips faster than the scale-down window and must not make the count flap.
 */
function script(): [number, number][] {
  const plan: [number, number][] = [[0, 12]];
  for (let t = 25; t < 55; t++) plan.push([t, 1]);
  for (let t = 55; t < 85; t += 3) plan.push([t, 1]);
  for (let from = 85; from < 145; from += 10) for (let t = from; t < from + 5; t++) plan.push([t, 2]);
  return plan;
}

interface ModeResult {
  readonly mode: string;
  readonly decisionMs: number | undefined;
  readonly servingMs: number | undefined;
  readonly waitP50: number;
  readonly waitP95: number;
  readonly replicas: [number, number][];
  readonly jobs: [number, number][];
  readonly flapsPerMinute: number;
  readonly interrupted: number;
  readonly lost: number;
  readonly submitted: number;
}

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

/** Changes of direction of the count within any 60 s window, the worst window. */
function flapsPerMinute(series: readonly [number, number][]): number {
  const turns: number[] = [];
  let last = 0;
  for (let i = 1; i < series.length; i++) {
    const sign = Math.sign((series[i]?.[1] ?? 0) - (series[i - 1]?.[1] ?? 0));
    if (sign === 0) continue;
    if (last !== 0 && sign !== last) turns.push(series[i]?.[0] ?? 0);
    last = sign;
  }
  let worst = 0;
  for (const t of turns) worst = Math.max(worst, turns.filter((u) => u >= t && u < t + 60).length);
  return worst;
}

async function runMode(mode: 'autoscaled' | 'fixed'): Promise<ModeResult> {
  const platform: AutoscaleStack = await startAutoscaleStack({
    executor: mode === 'autoscaled' ? { autoscale: POLICY } : { replicas: 1 },
  });
  const queue = new QueueSource(platform.redis, 'remcode');
  let autoscaler: Autoscaler | undefined;
  try {
    if (mode === 'autoscaled') autoscaler = autoscalerFor(platform, new Registry(), queue).autoscaler;
    const start = Date.now();
    const seconds = () => (Date.now() - start) / 1000;
    const replicas: [number, number][] = [];
    const jobs: [number, number][] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [count, reading] = await Promise.all([platform.executorReplicas(), queue.read(1_000)]);
        replicas.push([seconds(), count.spec]);
        if (reading.status === 'ok') jobs.push([seconds(), reading.value]);
        await sleep(1_000);
      }
    })();
    const initial = new Set((await queue.executors()).map((beat) => beat.id));
    const ids: string[] = [];
    const failures: string[] = [];
    for (const [at, count] of script()) {
      const wait = start + at * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      for (let i = 0; i < count; i++) {
        const n = ids.length + failures.length;
        await platform
          .submit(`import time\ntime.sleep(${RUN_SECONDS})\nprint(${n})\n`)
          .then((id) => ids.push(id))
          .catch((error: unknown) => failures.push(String(error)));
      }
    }
    await waitFor(
      'every submission to finish',
      async () => {
        const rows = await claims(platform.db, ids);
        return rows.length === ids.length && rows.every((row) => row.state === 'finished');
      },
      600_000,
    ).catch(() => undefined);
    if (mode === 'autoscaled') {
      await waitFor(
        'the count back at the minimum',
        async () => (await platform.executorReplicas()).spec === 1,
        180_000,
      ).catch(() => undefined);
    } else {
      await sleep(5_000);
    }
    sampling = false;
    await sampler;
    replicas.push([seconds(), (await platform.executorReplicas()).spec]);

    const rows = await claims(platform.db, ids);
    const waits = rows.flatMap((row) =>
      row.started_at ? [(row.started_at.getTime() - row.created_at.getTime()) / 1000] : [],
    );
    // The first run by an executor that was not there when the load began: a new replica serving.
    const helped = rows.find((row) => row.started_at && !initial.has(row.executor));
    const decision = replicas.find(([, count]) => count > 1);
    return {
      mode,
      decisionMs: decision ? decision[0] * 1000 : undefined,
      servingMs: helped?.started_at ? helped.started_at.getTime() - start : undefined,
      waitP50: quantile(waits, 0.5),
      waitP95: quantile(waits, 0.95),
      replicas,
      jobs,
      flapsPerMinute: flapsPerMinute(replicas),
      interrupted: rows.filter((row) => row.attempts > 1).length,
      lost: ids.length - rows.filter((row) => row.state === 'finished').length + failures.length,
      submitted: ids.length + failures.length,
    };
  } finally {
    await autoscaler?.close();
    await queue.close();
    await platform.remove();
  }
}

const fmt = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

const results: ModeResult[] = [];
for (const mode of ['autoscaled', 'fixed'] as const) {
  console.log(`running ${mode}...`);
  results.push(await runMode(mode));
}
console.log(
  '\nmode        decision  new replica serving  wait p50  wait p95  flaps/min  interrupted  lost  submitted',
);
for (const r of results) {
  console.log(
    `${r.mode.padEnd(11)} ${fmt(r.decisionMs).padStart(8)}  ${fmt(r.servingMs).padStart(19)}  ` +
      `${r.waitP50.toFixed(1).padStart(6)} s  ${r.waitP95.toFixed(1).padStart(6)} s  ${String(r.flapsPerMinute).padStart(9)}  ` +
      `${String(r.interrupted).padStart(11)}  ${String(r.lost).padStart(4)}  ${String(r.submitted).padStart(9)}`,
  );
}
const [auto, fixed] = results;
if (auto && fixed) {
  console.log(
    `\nqueue wait p95, autoscaled / fixed: ${(auto.waitP95 / fixed.waitP95).toFixed(2)}; ` +
      `p50: ${(auto.waitP50 / fixed.waitP50).toFixed(2)}`,
  );
  const every5 = (series: readonly [number, number][]) =>
    series
      .filter((_, i) => i % 5 === 0)
      .map(([t, n]) => `${Math.round(t)}:${n}`)
      .join(' ');
  console.log(`replicas over time (s:count), autoscaled: ${every5(auto.replicas)}`);
}
await mkdir('test-output/bench', { recursive: true });
const series: Series[] = results.flatMap((r) => [
  { name: `${r.mode} replicas`, axis: 'replicas' as const, points: r.replicas },
  { name: `${r.mode} jobs`, axis: 'jobs' as const, points: r.jobs },
]);
await writeChart(
  'test-output/bench/autoscale.png',
  'Executor replicas under a burst, a step up, a step down and an oscillation',
  series,
);
console.log('chart: test-output/bench/autoscale.png');
process.exit(0);
