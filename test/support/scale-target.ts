/**
 * A Swarm service reduced to what the autoscaler reads and writes, for tests of the autoscaler's
 * decisions against real Redis without a Swarm: a replica count it may compare and set, and the
 * counts it was set to.
 */
import type { ScaleTarget, ServiceSnapshot } from '../../controller/autoscale/swarm-target.js';

export class MemoryScaleTarget implements ScaleTarget {
  replicas = 1;
  updateState: string | undefined;
  readonly writes: number[] = [];

  read(): Promise<ServiceSnapshot> {
    return Promise.resolve({ replicas: this.replicas, updateState: this.updateState });
  }

  setReplicas(replicas: number, expected: number): Promise<boolean> {
    if (this.replicas !== expected) return Promise.resolve(false);
    this.replicas = replicas;
    this.writes.push(replicas);
    return Promise.resolve(true);
  }

  runningContainers(): Promise<string[]> {
    return Promise.resolve([]);
  }
}
