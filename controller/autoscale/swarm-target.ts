/**
 * The autoscaler's door to one Swarm service: read its replica count and update state, change the count
 * without touching anything else, and list the containers of its running tasks.
 */
import type Docker from 'dockerode';
import { isOutOfSequence, type SwarmClient } from '../swarm/docker.js';
import { isManaged } from '../swarm/spec.js';

export interface ServiceSnapshot {
  readonly replicas: number;
  /** `UpdateStatus.State` of the last rolling update, if any. */
  readonly updateState: string | undefined;
}

export interface ScaleTarget {
  /** Undefined when the service does not exist yet or is not managed by this stack's controller. */
  read(): Promise<ServiceSnapshot | undefined>;
  /** Sets the count when it is still `expected`; returns false when someone else changed it first. */
  setReplicas(replicas: number, expected: number): Promise<boolean>;
  /** Container ids of the tasks Swarm reports running. */
  runningContainers(): Promise<string[]>;
}

interface ReplicatedSpec {
  Mode?: { Replicated?: { Replicas?: number } };
}

export class SwarmScaleTarget implements ScaleTarget {
  constructor(
    private readonly client: SwarmClient,
    private readonly stack: string,
    /** The full Docker name, `<stack>_<service>`. */
    readonly serviceName: string,
  ) {}

  async read(): Promise<ServiceSnapshot | undefined> {
    const found = await this.client.inspectService(this.serviceName);
    if (!found || !isManaged(found.labels, this.stack)) return undefined;
    const replicas = (found.spec as ReplicatedSpec).Mode?.Replicated?.Replicas;
    if (replicas === undefined) return undefined;
    return { replicas, updateState: found.updateState };
  }

  async setReplicas(replicas: number, expected: number): Promise<boolean> {
    // A reconcile pass may write between our read and our write; Swarm refuses the stale version and we
    // read again, so neither write is lost.
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = await this.client.inspectService(this.serviceName);
      if (!found) return false;
      const spec = structuredClone(found.spec) as ReplicatedSpec & Record<string, unknown>;
      const now = spec.Mode?.Replicated?.Replicas;
      if (now !== expected) return now === replicas;
      spec.Mode = { ...spec.Mode, Replicated: { Replicas: replicas } };
      try {
        await this.client.updateService(found.id, found.version, spec);
        return true;
      } catch (error) {
        if (!isOutOfSequence(error)) throw error;
      }
    }
    return false;
  }

  async runningContainers(): Promise<string[]> {
    const docker: Docker = this.client.docker;
    const tasks = (await docker.listTasks({
      filters: JSON.stringify({ service: [this.serviceName] }),
    })) as Array<{ Status?: { State?: string; ContainerStatus?: { ContainerID?: string } } }>;
    return tasks
      .filter((task) => task.Status?.State === 'running')
      .flatMap((task) => {
        const id = task.Status?.ContainerStatus?.ContainerID;
        return id ? [id] : [];
      });
  }
}
