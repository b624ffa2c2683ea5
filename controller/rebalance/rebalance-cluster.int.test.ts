/**
 * The rebalancer on a real three-node Swarm (scripts/cluster-up.sh: a manager and two workers, each a
 * container running its own Docker engine), with the controller as a real process: a stopped worker's
 * tasks move away; when it returns, the controller spreads them again moving only the surplus, never
 * below the desired count; a drained node stays empty; a controller killed mid-move and started again
 * ends balanced; a worker cut off the network keeps its tasks running, and once it is back no task runs
 * twice and the spread returns; a restarted manager ends balanced. The cluster is this file's own and is removed at the end; the host's Swarm is not
 * touched. The longer comparison with `docker service update --force`, timed and charted, is
 * `npm run bench:rebalance`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerProcess, TestCluster, counts, writeSleeperDesired } from '../../test/support/cluster.js';
import { freePort } from '../../test/support/ports.js';
import { testImage, waitFor } from '../../test/support/swarm.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const cluster = new TestCluster('rcl');
const stack = `rbl${randomBytes(3).toString('hex')}`;
const service = `${stack}_sleeper`;
const REPLICAS = 6;
const BALANCED = { manager: 2, worker1: 2, worker2: 2 };

let controller: ControllerProcess;
let hostSwarm = '';

async function hostSwarmState(): Promise<string> {
  const { stdout } = await run('docker', [
    'info',
    '--format',
    '{{.Swarm.LocalNodeState}} {{.Swarm.NodeAddr}} {{.Swarm.Nodes}}',
  ]);
  return stdout.trim();
}

async function moveResults(): Promise<string[]> {
  return ((await controller.status())?.moves ?? []).map((move) => `${move.result}: ${move.message}`);
}

beforeAll(async () => {
  await mkdir(join(repo, 'test-output'), { recursive: true });
  hostSwarm = await hostSwarmState();
  const image = await testImage();
  await cluster.up([image]);
  const file = await writeSleeperDesired({ stack, image, replicas: REPLICAS, interval: '1s' });
  const log = join(repo, 'test-output', `rebalance-controller-${cluster.name}.log`);
  controller = new ControllerProcess(cluster, file, await freePort(), log);
  await controller.start();
}, 600_000);

afterAll(async () => {
  await controller?.stop('SIGKILL');
  await cluster.down();
  // The other integration tests run on the host's single-node Swarm: it must be exactly as it was.
  expect(await hostSwarmState()).toBe(hostSwarm);
}, 120_000);

describe('rebalancing on a three-node swarm', () => {
  it('moves only the surplus back to a returned worker, never below the desired count', async () => {
    await cluster.settledAt(service, BALANCED, 120_000, 'the first spread');
    await cluster.stopNode('worker2');
    const stranded = await cluster.settledAt(
      service,
      { manager: 3, worker1: 3, worker2: 0 },
      120_000,
      'tasks moved off worker2',
    );
    const before = new Set([...stranded.perNode.manager!, ...stranded.perNode.worker1!]);
    const movesBefore = (await controller.status())?.moves.length ?? 0;

    await cluster.node('start', 'worker2');
    // Sample while it rebalances: the running count must never drop below the desired one.
    let lowest = Infinity;
    const balanced = await waitFor(
      'the rebalancer to spread the tasks again',
      async () => {
        const now = await cluster.spread(service);
        lowest = Math.min(lowest, now.running);
        if (now.settling > 0 || JSON.stringify(counts(now.perNode)) !== JSON.stringify(BALANCED)) return;
        // The last move's scale-down may have landed but its result not been recorded yet.
        const moving = (await controller.status())?.moves.some((move) => move.result === 'running');
        return moving === false ? now : undefined;
      },
      150_000,
    ).catch(async (error: unknown) => {
      throw new Error(`moves: ${(await moveResults()).join(' | ')}`, { cause: error });
    });
    const after = new Set(Object.values(balanced.perNode).flat());
    const stopped = [...before].filter((id) => !after.has(id)).length;
    const rebalance = await controller.status();
    const moves = (rebalance?.moves ?? []).slice(0, (rebalance?.moves.length ?? 0) - movesBefore);
    console.log(`moves after worker2 returned (newest first):\n  ${(await moveResults()).join('\n  ')}`);
    expect(rebalance?.returned.map((r) => r.hostname)).toContain('worker2');
    expect(lowest).toBeGreaterThanOrEqual(REPLICAS);
    // 3-3-0 becomes 2-2-2 by stopping exactly two of the old tasks, one per move. A move whose extra
    // task the scheduler put where it did no good is undone before that task runs, stopping none.
    expect(moves.filter((move) => move.result === 'moved')).toHaveLength(2);
    expect(stopped).toBe(2);
  }, 360_000);

  it('leaves a drained node empty and fills it again once it is active', async () => {
    const availability = (value: string, node: string) =>
      cluster.cli(['node', 'update', '--availability', value, node]);
    await availability('drain', 'worker1');
    await cluster.settledAt(service, { manager: 3, worker1: 0, worker2: 3 }, 120_000, 'worker1 drained');
    // The rebalancer must look at the drained spread and find it balanced over the nodes it may use,
    // without a move toward worker1 (transient holds while the drain settles are fine).
    const movesAtDrain = (await controller.status())?.moves.length ?? 0;
    const evaluatedAfter = Date.now();
    let last = '';
    await waitFor(
      'a balanced evaluation of the drained spread',
      async () => {
        const now = await controller.status();
        const at = now?.lastEvaluationAt ? Date.parse(now.lastEvaluationAt) : 0;
        const decision = now?.services.find((s) => s.service === 'sleeper')?.decision;
        last = JSON.stringify(decision);
        return (
          at > evaluatedAfter &&
          decision?.kind === 'balanced' &&
          decision.perNode.manager === 3 &&
          decision.perNode.worker2 === 3 &&
          Object.keys(decision.perNode).length === 2
        );
      },
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`last decision: ${last}`, { cause: error });
    });
    expect((await controller.status())?.moves.length).toBe(movesAtDrain);
    expect(counts((await cluster.spread(service)).perNode).worker1).toBe(0);

    await availability('active', 'worker1');
    await cluster.settledAt(service, BALANCED, 150_000, 'worker1 filled again');
  }, 360_000);

  it('ends balanced when the controller is killed mid-move and started again', async () => {
    await cluster.stopNode('worker1');
    await cluster.settledAt(
      service,
      { manager: 3, worker1: 0, worker2: 3 },
      120_000,
      'tasks moved off worker1',
    );
    await cluster.node('start', 'worker1');
    await waitFor(
      'a move in progress',
      async () => (await controller.status())?.moves.some((move) => move.result === 'running') ?? false,
      120_000,
    );
    await controller.stop('SIGKILL');
    const spec = (await cluster.manager.getService(service).inspect()) as {
      Spec: { Mode: { Replicated: { Replicas: number } } };
    };
    // Killed between scaling up and back down, or just after: the extra task may still be there.
    expect(spec.Spec.Mode.Replicated.Replicas).toBeGreaterThanOrEqual(REPLICAS);

    await controller.start();
    await cluster.settledAt(service, BALANCED, 180_000, 'the spread after the restart');
    const after = (await cluster.manager.getService(service).inspect()) as {
      Spec: { Mode: { Replicated: { Replicas: number } } };
    };
    expect(after.Spec.Mode.Replicated.Replicas).toBe(REPLICAS);
  }, 420_000);

  it('keeps a partitioned worker running its tasks; after healing none runs twice and the spread returns', async () => {
    await cluster.settledAt(service, BALANCED, 120_000, 'the spread before the partition');
    const kept = await cluster.containersOn('worker1', service);
    expect(kept).toHaveLength(2);
    await cluster.node('partition', 'worker1');
    try {
      await cluster.untilNodeState('worker1', 'down');
      await cluster.settledAt(
        service,
        { manager: 3, worker1: 0, worker2: 3 },
        120_000,
        "worker1's tasks started on the others",
      );
      // Cut off, the node hears nothing from the manager: what it ran, it still runs.
      expect(await cluster.containersOn('worker1', service)).toEqual(expect.arrayContaining(kept));
    } finally {
      await cluster.node('heal', 'worker1');
    }
    await cluster.settledAt(service, BALANCED, 180_000, 'the spread after healing');
    // Back in touch, the node stops the copies that were replaced meanwhile: every node's own engine
    // runs exactly what the manager counts, and none of the kept containers survives.
    const perEngine = await waitFor(
      'every engine to run only its assigned tasks',
      async () => {
        const engines = await Promise.all(
          ['manager', 'worker1', 'worker2'].map((node) => cluster.containersOn(node, service)),
        );
        return engines.flat().length === REPLICAS ? engines : undefined;
      },
      60_000,
    );
    expect(perEngine.map((ids) => ids.length)).toEqual([2, 2, 2]);
    expect(perEngine[1]?.filter((id) => kept.includes(id))).toEqual([]);
  }, 420_000);

  it('ends balanced after the manager restarts', async () => {
    const start = await cluster.settledAt(service, BALANCED, 120_000, 'the spread before the restart');
    const onManager = start.perNode.manager ?? [];
    await cluster.node('stop', 'manager');
    await cluster.node('start', 'manager');
    // The manager's tasks died with its engine. Until it has replaced them, the task list still shows
    // them running (nobody could record otherwise), so wait for the replacement before judging.
    await waitFor(
      "the manager's old tasks to be replaced",
      async () => {
        const now = await cluster.spread(service);
        return !Object.values(now.perNode).some((ids) => ids.some((id) => onManager.includes(id)));
      },
      120_000,
    );
    // The controller keeps running on the host through the restart; its Docker socket comes back.
    await cluster.settledAt(service, BALANCED, 240_000, 'the spread after the manager restarted');
    const spec = (await cluster.manager.getService(service).inspect()) as {
      Spec: { Mode: { Replicated: { Replicas: number } } };
    };
    expect(spec.Spec.Mode.Replicated.Replicas).toBe(REPLICAS);
    const engines = await Promise.all(
      ['manager', 'worker1', 'worker2'].map((node) => cluster.containersOn(node, service)),
    );
    expect(engines.flat()).toHaveLength(REPLICAS);
    expect((await controller.status())?.state).toBe('running');
  }, 420_000);
});
