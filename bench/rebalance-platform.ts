/**
 * `npm run bench:rebalance -- --platform`: RemCode itself on the one-machine three-node cluster
 * (test/support/cluster-platform.ts: Redis, Postgres and the edge on the manager, webapp tasks and
 * executors from the Python-only image spread over the nodes, the controller on the host), under a
 * steady load of `?wait=true` submissions through the edge while worker2 is stopped and started again.
 * Prints failed requests (those sent before and after the edge took worker2's webapp task out of
 * rotation apart), lost, wrong and duplicated results (a result announced twice), runs cut short by
 * cause, the rebalancer's moves and retirements, and submission latency before, while worker2 is
 * away, while the rebalancer works and after; saves webapp tasks and executors per node and latency
 * over time as
 * test-output/bench/rebalance-platform.png and .json. About 6 minutes with the cluster's start and
 * removal (the images are built first when missing: minutes more).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControllerProcess, TestCluster, counts } from '../test/support/cluster.js';
import {
  clusterPlatformImages,
  planClusterPlatform,
  type EdgeWatch,
} from '../test/support/cluster-platform.js';
import { verifyAccepted } from '../test/support/load.js';
import { freePort } from '../test/support/ports.js';
import { waitFor } from '../test/support/swarm.js';
import { writeChart, type Series } from './autoscale-chart.js';

const EXECUTORS = Number.parseInt(process.env.REMCODE_BENCH_EXECUTORS ?? '3', 10);
const WORKERS = Number.parseInt(process.env.REMCODE_BENCH_WORKERS ?? '4', 10);
const NODES = ['manager', 'worker1', 'worker2'] as const;
const out = 'test-output/bench';

interface Request {
  readonly t: number;
  readonly ms: number;
  readonly ok: boolean;
  readonly what: string;
}

export async function platformBench(): Promise<void> {
  await mkdir(out, { recursive: true });
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 100) / 10;
  const events: { t: number; what: string }[] = [];
  const note = (what: string): void => {
    events.push({ t: seconds(), what });
    console.log(`${seconds().toFixed(1).padStart(6)} s  ${what}`);
  };
  const images = await clusterPlatformImages();
  const platform = await planClusterPlatform({ executors: EXECUTORS, slots: 1, interval: '2s' });
  const service = `${platform.stack}_executor`;
  const webapp = `${platform.stack}_webapp`;
  const WEBAPPS = 3;
  const cluster = new TestCluster('rbp');
  const samples: {
    t: number;
    perNode: Record<string, number>;
    webappPerNode: Record<string, number>;
    edgeUp: number | undefined;
  }[] = [];
  let edge: EdgeWatch | undefined;
  const requests: Request[] = [];
  const accepted = new Map<string, string>();
  let sampling = true;
  let loading = true;
  let controller: ControllerProcess | undefined;
  const phases: { name: string; from: number; to: number }[] = [];
  let summary: Record<string, unknown> = {};
  try {
    await cluster.up(images, platform.publish);
    note(`cluster ${cluster.name} up (images: ${images.join(' ')})`);
    const port = await freePort();
    controller = new ControllerProcess(
      cluster,
      platform.file,
      port,
      join(out, 'rebalance-platform-controller.log'),
      platform.controllerEnv,
    );
    await controller.start();
    await platform.connect();
    note('a first submission ran');
    const running = controller;
    const within = async (name: string, replicas: number): Promise<Record<string, number> | undefined> => {
      const now = await cluster.spread(name);
      const spread = counts(now.perNode);
      const values = NODES.map((node) => spread[node] ?? 0);
      return now.settling === 0 && now.running === replicas && Math.max(...values) - Math.min(...values) <= 1
        ? spread
        : undefined;
    };
    const settled = async (): Promise<Record<string, Record<string, number>> | undefined> => {
      const [executors, webapps] = [await within(service, EXECUTORS), await within(webapp, WEBAPPS)];
      const moving = (await running.status())?.moves.some((move) => move.result === 'running');
      return executors && webapps && !moving && (await platform.edgeServersUp()) === WEBAPPS
        ? { executors, webapps }
        : undefined;
    };
    await waitFor('the executors and webapp tasks to spread', settled, 300_000);
    note('executors and webapp tasks spread over three nodes');

    void (async () => {
      while (sampling) {
        try {
          const edgeUp = await platform.edgeServersUp().catch(() => undefined);
          samples.push({
            t: seconds(),
            perNode: counts((await cluster.spread(service)).perNode),
            webappPerNode: counts((await cluster.spread(webapp)).perNode),
            edgeUp,
          });
        } catch {
          // A node restarting can make one read fail; the next sample covers it.
        }
        await sleep(500);
      }
    })();
    let serial = 0;
    const load = Array.from({ length: WORKERS }, async () => {
      while (loading) {
        const n = ++serial;
        const t = seconds();
        const from = performance.now();
        try {
          const response = await fetch(`${platform.webappUrl}/api/v1/submissions?wait=true`, {
            method: 'POST',
            // A client that may send again names its request, so the edge may retry it on another task.
            headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${started}-${n}` },
            body: JSON.stringify({ language: 'python', source: `print(${n})` }),
            signal: AbortSignal.timeout(60_000),
          });
          const body = (await response.json().catch(() => ({}))) as { id?: string; stdout?: string };
          const ok = [200, 201, 202].includes(response.status) && body.id !== undefined;
          if (ok && body.id) accepted.set(body.id, `${n}\n`);
          requests.push({ t, ms: performance.now() - from, ok, what: `HTTP ${response.status}` });
        } catch (error) {
          requests.push({ t, ms: performance.now() - from, ok: false, what: String(error) });
        }
      }
    });

    const steadyFrom = seconds();
    await sleep(20_000);
    const before = await platform.interrupted();
    phases.push({ name: 'before', from: steadyFrom, to: seconds() });
    note('stopping worker2');
    const awayFrom = seconds();
    edge = platform.watchEdge();
    await cluster.stopNode('worker2');
    note('worker2 is down');
    await waitFor(
      'the executors to run off worker2',
      async () => {
        const now = await cluster.spread(service);
        return now.settling === 0 && now.running === EXECUTORS && (now.perNode.worker2?.length ?? 0) === 0;
      },
      180_000,
    );
    note(`executors moved off worker2: ${JSON.stringify(counts((await cluster.spread(service)).perNode))}`);
    const afterStop = await platform.interrupted();
    await cluster.node('start', 'worker2');
    await cluster.untilNodeState('worker2', 'ready');
    const readyAt = seconds();
    phases.push({ name: 'worker2 away', from: awayFrom, to: readyAt });
    note('worker2 is ready');
    const spread = await waitFor(
      'the rebalancer to spread the executors and the webapp again',
      settled,
      300_000,
    ).catch(async (error: unknown) => {
      // What the tasks say is the first thing to read when a move gave up.
      for (const name of [webapp, service])
        console.log(await cluster.cli(['service', 'ps', '--no-trunc', name]).catch(String));
      console.log(`moves: ${JSON.stringify((await running.status())?.moves ?? [], null, 1)}`);
      throw error;
    });
    const balancedAt = seconds();
    phases.push({ name: 'rebalancing', from: readyAt, to: balancedAt });
    note(`rebalanced: ${JSON.stringify(spread)}`);
    await sleep(20_000);
    phases.push({ name: 'after', from: balancedAt, to: seconds() });
    loading = false;
    edge.stop();
    const noticedAt = edge.noticed();
    const edgeNoticedAt = noticedAt === undefined ? undefined : Math.round((noticedAt - started) / 100) / 10;
    if (edgeNoticedAt !== undefined)
      events.push({ t: edgeNoticedAt, what: 'the edge took a webapp task out of rotation' });
    await Promise.all(load);
    const afterAll = await platform.interrupted();
    const { wrong, unfinished } = await verifyAccepted(platform.webappUrl, accepted, 180_000);
    let duplicated = 0;
    for (const id of accepted.keys()) if ((await platform.resultEvents(id)) > 1) duplicated++;
    const moves = ((await running.status())?.moves ?? []).map((move) => `${move.result}: ${move.message}`);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const retired =
      /remcode_autoscale_retirements_total\{service="executor",outcome="exited"[^}]*\} (\d+)/.exec(
        metrics,
      )?.[1];
    const delta = (a: Record<string, number>, b: Record<string, number>) =>
      Object.fromEntries(['retire', 'stop'].map((cause) => [cause, (b[cause] ?? 0) - (a[cause] ?? 0)]));
    summary = {
      executors: EXECUTORS,
      workers: WORKERS,
      requests: requests.length,
      failed: requests.filter((r) => !r.ok).length,
      failures: requests.filter((r) => !r.ok).map((r) => `${r.t}s ${r.what}`),
      edgeNoticedAt,
      failedAfterEdgeNoticed: requests.filter(
        (r) => !r.ok && edgeNoticedAt !== undefined && r.t >= edgeNoticedAt,
      ).length,
      accepted: accepted.size,
      lost: unfinished.length,
      wrong: wrong.length,
      duplicated,
      interruptedByNodeStop: delta(before, afterStop),
      interruptedByRebalance: delta(afterStop, afterAll),
      retirements: Number(retired ?? 0),
      secondsWorker2ReadyToBalanced: Math.round((balancedAt - readyAt) * 10) / 10,
      moves,
    };
  } finally {
    sampling = false;
    loading = false;
    edge?.stop();
    await controller?.stop('SIGKILL');
    await platform.close();
    await cluster.down();
    note('cluster down');
  }

  const quantile = (values: number[], q: number): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length === 0
      ? NaN
      : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  };
  console.log('\nphase            s     requests  failed  p50 ms  p95 ms');
  const byPhase = phases.map((phase) => {
    const inside = requests.filter((r) => r.t >= phase.from && r.t < phase.to);
    const ms = inside.filter((r) => r.ok).map((r) => r.ms);
    const row = {
      phase: phase.name,
      seconds: Math.round((phase.to - phase.from) * 10) / 10,
      requests: inside.length,
      failed: inside.filter((r) => !r.ok).length,
      p50: Math.round(quantile(ms, 0.5)),
      p95: Math.round(quantile(ms, 0.95)),
    };
    console.log(
      `${row.phase.padEnd(14)} ${row.seconds.toFixed(1).padStart(6)} ${String(row.requests).padStart(9)} ${String(row.failed).padStart(7)} ${String(row.p50).padStart(7)} ${String(row.p95).padStart(7)}`,
    );
    return row;
  });
  console.log(`\n${JSON.stringify(summary, null, 2)}`);

  // Latency per 2-second bucket, on the second axis.
  const buckets = new Map<number, number[]>();
  for (const r of requests.filter((item) => item.ok)) {
    const key = Math.floor(r.t / 2) * 2;
    buckets.set(key, [...(buckets.get(key) ?? []), r.ms]);
  }
  const series: Series[] = [
    ...NODES.map((node): Series => ({
      name: `executors on ${node}`,
      axis: 'replicas',
      points: samples.map((s) => [s.t, s.perNode[node] ?? 0] as const),
    })),
    ...NODES.map((node): Series => ({
      name: `webapp tasks on ${node}`,
      axis: 'replicas',
      points: samples.map((s) => [s.t, s.webappPerNode[node] ?? 0] as const),
    })),
    {
      name: 'p95 latency of ?wait=true (ms)',
      axis: 'jobs',
      points: [...buckets.entries()]
        .sort(([a], [b]) => a - b)
        .map(([t, ms]) => [t, Math.round(quantile(ms, 0.95))] as const),
    },
  ];
  await writeChart(
    join(out, 'rebalance-platform.png'),
    `Executors and webapp tasks per node, submission latency under load: worker2 stopped, started, rebalanced`,
    series,
    { rightAxis: 'p95 latency (ms)' },
  );
  await writeFile(
    join(out, 'rebalance-platform.json'),
    JSON.stringify({ summary, phases: byPhase, events, samples, requests }, null, 1),
  );
  console.log(
    `\nchart: ${join(out, 'rebalance-platform.png')}; timeline: ${join(out, 'rebalance-platform.json')}`,
  );
}
