/**
 * `npm run bench:rebalance`: what spreading tasks again after a node returns costs, done by the
 * controller's rebalancer and by Swarm's only built-in remedy, `docker service update --force`, on the
 * same one-machine three-node cluster (scripts/cluster-up.sh) in the same run.
 *
 * A service of `REMCODE_BENCH_REPLICAS` (default 9) `sleep` tasks, spread over the manager and two
 * workers. Each round stops worker2 (its tasks move to the others), starts it again, and lets one
 * remedy spread the tasks: first the rebalancer (the controller running), then the forced update (the
 * controller stopped). Prints, per remedy: tasks restarted (old tasks that no longer run), seconds from
 * worker2 ready to the spread within the skew, the lowest count of running tasks meanwhile, and the
 * moves; saves the tasks per node over time as test-output/bench/rebalance.png and .json.
 * About 2.5 minutes with the cluster's start and removal. With `-- --platform`, the platform itself
 * under a load of submissions instead (bench/rebalance-platform.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { ControllerProcess, TestCluster, counts, writeSleeperDesired } from '../test/support/cluster.js';
import { freePort } from '../test/support/ports.js';
import { testImage, waitFor } from '../test/support/swarm.js';
import { writeChart, type Series } from './autoscale-chart.js';
import { platformBench } from './rebalance-platform.js';

// `-- --platform`: RemCode itself under load on the cluster instead of `sleep` tasks.
if (process.argv.slice(2).includes('--platform')) {
  await platformBench();
  process.exit(0);
}

const REPLICAS = Number.parseInt(process.env.REMCODE_BENCH_REPLICAS ?? '9', 10);
const NODES = ['manager', 'worker1', 'worker2'] as const;
const out = 'test-output/bench';

interface Sample {
  readonly t: number;
  readonly perNode: Record<string, number>;
  readonly running: number;
}

interface RoundResult {
  readonly remedy: string;
  readonly restarted: number;
  readonly secondsToSpread: number;
  readonly lowestRunning: number;
  readonly moves: string[];
}

const cluster = new TestCluster('rbb');
const stack = `rbb${randomBytes(3).toString('hex')}`;
const service = `${stack}_sleeper`;
const started = Date.now();
const samples: Sample[] = [];
const events: { t: number; what: string }[] = [];
const seconds = (): number => Math.round((Date.now() - started) / 100) / 10;
const note = (what: string): void => {
  events.push({ t: seconds(), what });
  console.log(`${seconds().toFixed(1).padStart(6)} s  ${what}`);
};

/** Balanced for `max_skew: 1`: per-node counts differ by at most one over all three nodes. */
function spreadOk(perNode: Record<string, number>): boolean {
  const values = NODES.map((node) => perNode[node] ?? 0);
  return Math.max(...values) - Math.min(...values) <= 1;
}

let sampling = true;
async function sampler(): Promise<void> {
  while (sampling) {
    try {
      const now = await cluster.spread(service);
      samples.push({ t: seconds(), perNode: counts(now.perNode), running: now.running });
    } catch {
      // A node restarting can make one read fail; the next sample covers it.
    }
    await sleep(500);
  }
}

/** Stops worker2, waits for its tasks elsewhere, starts it; returns the task ids that ran before. */
async function strand(): Promise<Set<string>> {
  note('stopping worker2');
  await cluster.stopNode('worker2');
  note('worker2 is down');
  const stranded = await waitFor(
    'tasks moved off worker2',
    async () => {
      const now = await cluster.spread(service);
      return now.settling === 0 && now.running === REPLICAS && (now.perNode.worker2?.length ?? 0) === 0
        ? now
        : undefined;
    },
    120_000,
  );
  note(`tasks moved off worker2: ${JSON.stringify(counts(stranded.perNode))}`);
  await cluster.node('start', 'worker2');
  await cluster.untilNodeState('worker2', 'ready');
  note('worker2 is ready');
  return new Set(Object.values(stranded.perNode).flat());
}

/**
 * Waits until the remedy is over (`finished`) and the tasks are spread within the skew; a forced update
 * passes through balanced moments between two restarted tasks, so being spread alone is not the end.
 */
async function spreadAgain(
  remedy: string,
  before: Set<string>,
  finished: () => boolean | Promise<boolean>,
  moves: () => Promise<string[]>,
) {
  const from = Date.now();
  let lowest = Infinity;
  const done = await waitFor(
    `${remedy} to spread the tasks`,
    async () => {
      const now = await cluster.spread(service);
      lowest = Math.min(lowest, now.running);
      if (!(await finished())) return undefined;
      return now.settling === 0 && now.running === REPLICAS && spreadOk(counts(now.perNode))
        ? now
        : undefined;
    },
    300_000,
  );
  note(`${remedy}: spread ${JSON.stringify(counts(done.perNode))}`);
  const after = new Set(Object.values(done.perNode).flat());
  const result: RoundResult = {
    remedy,
    restarted: [...before].filter((id) => !after.has(id)).length,
    secondsToSpread: Math.round((Date.now() - from) / 100) / 10,
    lowestRunning: lowest,
    moves: await moves(),
  };
  return result;
}

await mkdir(out, { recursive: true });
const image = await testImage();
await cluster.up([image]);
note(`cluster ${cluster.name} up (images: ${image})`);
const results: RoundResult[] = [];
let controller: ControllerProcess | undefined;
try {
  const file = await writeSleeperDesired({ stack, image, replicas: REPLICAS, interval: '2s' });
  controller = new ControllerProcess(cluster, file, await freePort(), join(out, 'rebalance-controller.log'));
  await controller.start();
  note('controller started');
  void sampler();
  await waitFor(
    'the first spread',
    async () => {
      const now = await cluster.spread(service);
      return now.settling === 0 && now.running === REPLICAS && spreadOk(counts(now.perNode));
    },
    120_000,
  );
  note('service spread over three nodes');

  const movesBefore = (await controller.status())?.moves.length ?? 0;
  const before = await strand();
  const running = controller;
  results.push(
    await spreadAgain(
      'rebalancer',
      before,
      // The last move's scale-down may have landed but its result not been recorded yet.
      async () => (await running.status())?.moves.some((move) => move.result === 'running') === false,
      async () => {
        const all = (await running.status())?.moves ?? [];
        return all.slice(0, all.length - movesBefore).map((move) => `${move.result}: ${move.message}`);
      },
    ),
  );

  await controller.stop('SIGTERM');
  note('controller stopped');
  const beforeForce = await strand();
  note('docker service update --force');
  let forced = false;
  const update = cluster
    .cli(['service', 'update', '--force', '--detach=false', '--quiet', service])
    .then(() => {
      forced = true;
    });
  results.push(
    await spreadAgain(
      'docker service update --force',
      beforeForce,
      () => forced,
      () => Promise.resolve([]),
    ),
  );
  await update;
} finally {
  sampling = false;
  await controller?.stop('SIGKILL');
  await cluster.down();
  note('cluster down');
}

console.log('\nremedy                           restarted  s to spread  lowest running');
for (const r of results) {
  console.log(
    `${r.remedy.padEnd(32)} ${String(r.restarted).padStart(9)}  ${r.secondsToSpread.toFixed(1).padStart(11)}  ${String(r.lowestRunning).padStart(14)}`,
  );
}
for (const r of results.filter((item) => item.moves.length > 0)) {
  console.log(`\n${r.remedy} moves (newest first):\n  ${r.moves.join('\n  ')}`);
}

const series: Series[] = NODES.map((node) => ({
  name: node,
  axis: 'replicas',
  points: samples.map((s) => [s.t, s.perNode[node] ?? 0] as const),
}));
await writeChart(
  join(out, 'rebalance.png'),
  `Running tasks per node (${REPLICAS} replicas): worker2 stopped and started twice; rebalancer, then update --force`,
  series,
);
await writeFile(
  join(out, 'rebalance.json'),
  JSON.stringify({ replicas: REPLICAS, results, events, samples }, null, 1),
);
console.log(`\nchart: ${join(out, 'rebalance.png')}; timeline: ${join(out, 'rebalance.json')}`);
