/**
 * The one-machine multi-node Swarm of scripts/cluster-up.sh (a manager and two workers, each a
 * container running its own Docker engine) and a controller run against it as a real process, for the
 * rebalancer's cluster test and `npm run bench:rebalance`. Each user names its own cluster, so the
 * host's Swarm and other clusters are never touched.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { RebalanceStatus } from '../../controller/rebalance/rebalancer.js';
import { removeLater, tempDir, waitFor, writeDesired } from './swarm.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));

interface Task {
  ID: string;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string };
}

export interface Spread {
  /** Running task ids per hostname of a ready node. */
  readonly perNode: Record<string, string[]>;
  readonly running: number;
  /** Tasks on their way up or down. */
  readonly settling: number;
}

export const counts = (perNode: Record<string, string[]>): Record<string, number> =>
  Object.fromEntries(Object.entries(perNode).map(([host, ids]) => [host, ids.length]));

export class TestCluster {
  readonly name: string;
  readonly socket: string;
  readonly manager: Docker;
  readonly #env: NodeJS.ProcessEnv;

  constructor(prefix: string) {
    this.name = `${prefix}${randomBytes(3).toString('hex')}`;
    this.socket = `/var/lib/remcode-cluster/${this.name}/manager/run/docker.sock`;
    this.manager = new Docker({ socketPath: this.socket });
    this.#env = { ...process.env, REMCODE_CLUSTER: this.name };
  }

  /** The environment that points the docker CLI (and a controller) at this cluster's manager. */
  get managerEnv(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: `unix://${this.socket}` };
  }

  /** `publish`: ports of the manager reachable on the host's 127.0.0.1 (set when the manager is created). */
  async up(images: readonly string[], publish: readonly number[] = []): Promise<void> {
    await run('bash', [join(repo, 'scripts/cluster-up.sh')], {
      env: {
        ...this.#env,
        REMCODE_CLUSTER_IMAGES: images.join(' '),
        REMCODE_CLUSTER_PUBLISH: publish.join(' '),
      },
      maxBuffer: 1 << 24,
    });
  }

  async down(): Promise<void> {
    await run('bash', [join(repo, 'scripts/cluster-down.sh')], { env: this.#env });
  }

  /** scripts/cluster-node.sh: stop, start, pause, unpause, partition, heal. */
  async node(action: string, node: string): Promise<void> {
    await run('bash', [join(repo, 'scripts/cluster-node.sh'), action, node], { env: this.#env });
  }

  /** The docker CLI against one node's own engine (which answers even while the node is cut off). */
  async nodeCli(node: string, args: readonly string[]): Promise<string> {
    const socket = `/var/lib/remcode-cluster/${this.name}/${node}/run/docker.sock`;
    const { stdout } = await run('docker', [...args], {
      env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
    });
    return stdout;
  }

  /** Ids of the containers of `service` running on a node, as its own engine reports them. */
  async containersOn(node: string, service: string): Promise<string[]> {
    const out = await this.nodeCli(node, [
      'ps',
      '-q',
      '--no-trunc',
      '--filter',
      `label=com.docker.swarm.service.name=${service}`,
    ]);
    return out.split('\n').filter((line) => line !== '');
  }

  /** The docker CLI against the manager. */
  async cli(args: readonly string[]): Promise<string> {
    const { stdout } = await run('docker', [...args], { env: this.managerEnv });
    return stdout;
  }

  async nodeState(hostname: string): Promise<string> {
    const nodes = (await this.manager.listNodes()) as Array<{
      Description?: { Hostname?: string };
      Status?: { State?: string };
    }>;
    return nodes.find((n) => n.Description?.Hostname === hostname)?.Status?.State ?? 'missing';
  }

  /** A node that is down cannot report its tasks stopping, so only ready nodes count. */
  async spread(service: string): Promise<Spread> {
    const nodes = (await this.manager.listNodes()) as Array<{
      ID: string;
      Description?: { Hostname?: string };
      Status?: { State?: string };
    }>;
    const names = new Map(
      nodes.filter((n) => n.Status?.State === 'ready').map((n) => [n.ID, n.Description?.Hostname ?? n.ID]),
    );
    const tasks = (await this.manager.listTasks({
      filters: JSON.stringify({ service: [service] }),
    })) as Task[];
    const perNode: Record<string, string[]> = { manager: [], worker1: [], worker2: [] };
    let running = 0;
    let settling = 0;
    for (const task of tasks) {
      if (task.NodeID !== undefined && !names.has(task.NodeID)) continue;
      const up = task.Status?.State === 'running';
      if (task.DesiredState === 'running' && up) {
        running++;
        (perNode[names.get(task.NodeID ?? '') ?? 'unassigned'] ??= []).push(task.ID);
      } else if (task.DesiredState === 'running' || up) settling++;
    }
    return { perNode, running, settling };
  }

  /** Waits for exactly `want` tasks per hostname with nothing starting or stopping. */
  settledAt(service: string, want: Record<string, number>, timeoutMs: number, what: string): Promise<Spread> {
    return waitFor(
      `${what}: ${JSON.stringify(want)}`,
      async () => {
        const now = await this.spread(service);
        return now.settling === 0 && JSON.stringify(counts(now.perNode)) === JSON.stringify(want)
          ? now
          : undefined;
      },
      timeoutMs,
    );
  }

  /** Waits until the manager reports the node in `state` (`down`, `ready`). */
  async untilNodeState(node: string, state: string, timeoutMs = 90_000): Promise<void> {
    await waitFor(`${node} to be ${state}`, async () => (await this.nodeState(node)) === state, timeoutMs);
  }

  /** Stops a node and waits until the manager sees it down. */
  async stopNode(node: string): Promise<void> {
    await this.node('stop', node);
    await this.untilNodeState(node, 'down');
  }
}

/** The controller as its own process against a cluster's manager, its output in `logFile`. */
export class ControllerProcess {
  readonly #cluster: TestCluster;
  readonly #file: string;
  readonly #port: number;
  readonly #logFile: string;
  readonly #env: NodeJS.ProcessEnv;
  #child: ChildProcess | undefined;

  /** `env`: more of the controller's environment, such as the Redis it retires executors through. */
  constructor(
    cluster: TestCluster,
    file: string,
    port: number,
    logFile: string,
    env: NodeJS.ProcessEnv = { REMCODE_AUTOSCALE_REDIS: 'off' },
  ) {
    this.#cluster = cluster;
    this.#file = file;
    this.#port = port;
    this.#logFile = logFile;
    this.#env = env;
  }

  async start(): Promise<void> {
    const out = createWriteStream(this.#logFile, { flags: 'a' });
    // One process, so that SIGKILL kills the controller itself (the tsx wrapper would leave it running).
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repo, 'controller/main.ts'), 'run', '-f', this.#file],
      {
        cwd: repo,
        env: {
          ...this.#cluster.managerEnv,
          CONTROLLER_PORT: String(this.#port),
          LOG_LEVEL: 'info',
          ...this.#env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    this.#child = child;
    await waitFor('the controller to answer', async () => (await this.status()) !== undefined, 60_000);
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async status(): Promise<RebalanceStatus | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.#port}/status`, {
        signal: AbortSignal.timeout(2_000),
      });
      return ((await response.json()) as { rebalance?: RebalanceStatus }).rebalance;
    } catch {
      return undefined;
    }
  }
}

/**
 * A desired-state file with one rebalanced service of `replicas` sleeping tasks, the shape the
 * rebalancer's cluster test and its bench move around; returns the file's path.
 */
export async function writeSleeperDesired(options: {
  readonly stack: string;
  readonly image: string;
  readonly replicas: number;
  readonly interval: string;
}): Promise<string> {
  const dir = await tempDir();
  removeLater(dir);
  return writeDesired(
    dir,
    [
      'version: 1',
      `stack: ${options.stack}`,
      'services:',
      '  sleeper:',
      `    image: ${options.image}`,
      '    command: [sleep, infinity]',
      `    replicas: ${options.replicas}`,
      '    stop_grace_period: 1s',
      `    rebalance: { max_skew: 1, interval: ${options.interval}, health_timeout: 60s }`,
      '',
    ].join('\n'),
  );
}
