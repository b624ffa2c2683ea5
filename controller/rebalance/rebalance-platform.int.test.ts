/**
 * RemCode itself on the three-node cluster (test/support/cluster-platform.ts), under a steady load of
 * submissions through the edge: webapp tasks and executors spread over the nodes, Redis, Postgres and
 * the edge on the manager, and the controller as a real process reading the stack's Redis. When a
 * worker returns, the rebalancer spreads the webapp and the executors again; its scale-down retires an
 * executor (the drain path) instead of letting Swarm stop one, so no run is cut short. When a worker is
 * cut off the network and healed, its executor's runs are delivered again and every result is stored
 * once. A lost node costs at most the requests its webapp task held when it went, and no request
 * sent after the edge took that task out of rotation fails. Every accepted submission finishes with
 * the right output.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerProcess, TestCluster, counts, type Spread } from '../../test/support/cluster.js';
import {
  clusterPlatformImages,
  planClusterPlatform,
  type ClusterPlatform,
} from '../../test/support/cluster-platform.js';
import { SubmissionLoad, verifyAccepted, type LoadReport } from '../../test/support/load.js';
import { freePort } from '../../test/support/ports.js';
import { waitFor } from '../../test/support/swarm.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cluster = new TestCluster('rcp');
const BALANCED = { manager: 1, worker1: 1, worker2: 1 };
/** Each worker of the load has one request in flight at a time. */
const LOAD_WORKERS = 3;

let platform: ClusterPlatform;
let controller: ControllerProcess;
let controllerPort = 0;
let executors = '';
let webapps = '';

async function moveResults(): Promise<string[]> {
  return ((await controller.status())?.moves ?? []).map((move) => `${move.result}: ${move.message}`);
}

async function spreads(): Promise<string> {
  const [e, w] = [await cluster.spread(executors), await cluster.spread(webapps)];
  return `executors ${JSON.stringify(counts(e.perNode))}, webapp ${JSON.stringify(counts(w.perNode))}`;
}

/**
 * Executors and webapp tasks each spread 1-1-1, nothing starting or stopping, no move in progress,
 * and the edge sending requests to all three webapp tasks.
 */
async function balanced(what: string, timeoutMs: number): Promise<void> {
  await waitFor(
    what,
    async () => {
      for (const service of [executors, webapps]) {
        const now = await cluster.spread(service);
        if (now.settling > 0 || JSON.stringify(counts(now.perNode)) !== JSON.stringify(BALANCED)) return;
      }
      if ((await controller.status())?.moves.some((move) => move.result === 'running') !== false) return;
      return (await platform.edgeServersUp()) === 3;
    },
    timeoutMs,
  ).catch(async (error: unknown) => {
    throw new Error(`${await spreads()}; moves: ${(await moveResults()).join(' | ')}`, { cause: error });
  });
}

/** Three executors running on the manager and worker1 only. */
function strandedOff(node: string, timeoutMs: number): Promise<Spread> {
  return waitFor(
    `the executors to run off ${node}`,
    async () => {
      const now = await cluster.spread(executors);
      return now.running === 3 && now.settling === 0 && (now.perNode[node]?.length ?? 0) === 0
        ? now
        : undefined;
    },
    timeoutMs,
  );
}

/** One sample of the controller's metrics; `labels` are some of its labels (the registry adds `program`). */
async function metric(name: string, labels: readonly string[]): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${controllerPort}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

/** Every accepted submission finished with its output, and each result was stored (announced) once. */
async function proveResults(report: LoadReport): Promise<{ lost: number; duplicated: number }> {
  const { wrong, unfinished } = await verifyAccepted(platform.webappUrl, report.accepted, 180_000);
  expect(wrong).toEqual([]);
  let duplicated = 0;
  for (const id of report.accepted.keys()) if ((await platform.resultEvents(id)) > 1) duplicated++;
  return { lost: unfinished.length, duplicated };
}

/**
 * Stops the load and holds it to the promise. A request fails only if the lost node's webapp task
 * held it when the node went: it was sent before the edge noticed (`noticedAt`), and each worker of
 * the load holds one request at a time. No accepted submission is lost or stored twice.
 */
async function expectNothingLost(load: SubmissionLoad, noticedAt: number | undefined): Promise<void> {
  const report = await load.stop();
  const { lost, duplicated } = await proveResults(report);
  console.log(
    `load: ${report.accepted.size} accepted, ${report.failures.length} failed requests ` +
      `(${JSON.stringify(report.failures)}), edge noticed at ${noticedAt ?? 'never'}, ${lost} lost, ${duplicated} duplicated`,
  );
  expect(noticedAt).toBeDefined();
  expect(report.failures.filter((failure) => failure.started >= (noticedAt ?? 0))).toEqual([]);
  expect(report.failures.length).toBeLessThanOrEqual(LOAD_WORKERS);
  expect(lost).toBe(0);
  expect(duplicated).toBe(0);
}

beforeAll(async () => {
  await mkdir(join(repo, 'test-output'), { recursive: true });
  const images = await clusterPlatformImages();
  platform = await planClusterPlatform({ executors: 3, slots: 1 });
  executors = `${platform.stack}_executor`;
  webapps = `${platform.stack}_webapp`;
  await cluster.up(images, platform.publish);
  controllerPort = await freePort();
  const log = join(repo, 'test-output', `rebalance-platform-controller-${cluster.name}.log`);
  controller = new ControllerProcess(cluster, platform.file, controllerPort, log, platform.controllerEnv);
  await controller.start();
  await platform.connect();
}, 1_500_000);

afterAll(async () => {
  await controller?.stop('SIGKILL');
  await platform?.close();
  await cluster.down();
}, 120_000);

describe('the platform on a three-node swarm under load', () => {
  it("runs every executor under the manifest's own seccomp profile, which the controller sends to these engines", async () => {
    // The nodes' engines speak Docker API 1.44 or later, so the controller sends the profile; the host's
    // engine may not, which is why this is checked here.
    const shipped = JSON.parse(
      await readFile(join(repo, 'manifests/seccomp/executor.json'), 'utf8'),
    ) as unknown;
    await balanced('the first spread', 240_000);
    let checked = 0;
    for (const node of ['manager', 'worker1', 'worker2']) {
      for (const id of await cluster.containersOn(node, executors)) {
        checked++;
        const options = JSON.parse(
          await cluster.nodeCli(node, ['inspect', '--format', '{{json .HostConfig.SecurityOpt}}', id]),
        ) as string[];
        const profiles = options.filter((option) => option.startsWith('seccomp='));
        expect(profiles.map((option) => JSON.parse(option.slice('seccomp='.length)) as unknown)).toEqual([
          shipped,
        ]);
        // The filter is in force in the running executor (mode 2: a filter).
        const status = await cluster.nodeCli(node, ['exec', id, 'grep', '^Seccomp:', '/proc/1/status']);
        expect(status.trim()).toMatch(/^Seccomp:\s+2$/);
      }
    }
    expect(checked).toBe(3);
  });

  it('a stopped worker costs no accepted submission; back, it gets a webapp task and an executor (through retirement) again', async () => {
    await balanced('the first spread', 240_000);
    const load = new SubmissionLoad({
      base: platform.webappUrl,
      workers: LOAD_WORKERS,
      idempotencyKeys: true,
    });
    load.start();
    const edge = platform.watchEdge();
    try {
      await cluster.stopNode('worker2');
      await strandedOff('worker2', 180_000);
      // A stopped node's executor drains as its engine stops it; what counts here is the rebalance.
      const before = await platform.interrupted();
      const retiredBefore = await metric('remcode_autoscale_retirements_total', [
        'service="executor"',
        'outcome="exited"',
      ]);
      await cluster.node('start', 'worker2');
      await balanced('the rebalancer to spread the executors again', 300_000);
      const moves = (await controller.status())?.moves ?? [];
      console.log(`moves (newest first):\n  ${(await moveResults()).join('\n  ')}`);
      expect(moves.filter((move) => move.result === 'moved').length).toBeGreaterThanOrEqual(1);
      // The scale-down went through an executor's retirement, and it cut nothing short.
      expect(
        await metric('remcode_autoscale_retirements_total', ['service="executor"', 'outcome="exited"']),
      ).toBeGreaterThan(retiredBefore);
      expect(await platform.interrupted()).toEqual(before);
      expect(await platform.redis?.hlen('remcode:retire')).toBe(0);
    } finally {
      edge.stop();
      await expectNothingLost(load, edge.noticed());
    }
  }, 900_000);

  it('a partitioned worker keeps its executor; after healing every result is stored once and the spread returns', async () => {
    await balanced('the spread before the partition', 240_000);
    const cutOff = await cluster.containersOn('worker1', executors);
    expect(cutOff).toHaveLength(1);
    const load = new SubmissionLoad({
      base: platform.webappUrl,
      workers: LOAD_WORKERS,
      idempotencyKeys: true,
    });
    load.start();
    const edge = platform.watchEdge();
    try {
      await cluster.node('partition', 'worker1');
      try {
        await cluster.untilNodeState('worker1', 'down');
        await strandedOff('worker1', 180_000);
        // Cut off, the node still runs its executor: it can reach neither Redis nor Postgres, so its
        // jobs are delivered again elsewhere once their locks expire.
        expect(await cluster.containersOn('worker1', executors)).toEqual(cutOff);
      } finally {
        await cluster.node('heal', 'worker1');
      }
      await balanced('the spread after healing', 300_000);
    } finally {
      edge.stop();
      await expectNothingLost(load, edge.noticed());
    }
    // The replaced tasks the node kept running were stopped once it heard from the manager again.
    for (const service of [executors, webapps]) {
      const engines = await Promise.all(
        ['manager', 'worker1', 'worker2'].map((node) => cluster.containersOn(node, service)),
      );
      expect(engines.map((ids) => ids.length)).toEqual([1, 1, 1]);
    }
  }, 900_000);
});
