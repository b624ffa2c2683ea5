/**
 * The rebalancer's reads and its one kind of write: nodes and a service's tasks as the planner's plain
 * views, and a replica count changed only when it is still what we read.
 */
import type Docker from 'dockerode';
import { isOutOfSequence, type SwarmClient } from '../swarm/docker.js';
import type { NodeView, ServiceView, TaskView } from './plan.js';

interface RawNode {
  ID: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Description?: {
    Hostname?: string;
    Platform?: { OS?: string; Architecture?: string };
    Engine?: { Labels?: Record<string, string> };
  };
  Status?: { State?: string };
}

interface RawTask {
  ID: string;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string };
}

interface ServiceSpec {
  Mode?: { Replicated?: { Replicas?: number }; Global?: unknown };
  TaskTemplate?: { Placement?: { Constraints?: string[]; MaxReplicas?: number } };
}

export async function readNodes(docker: Docker): Promise<NodeView[]> {
  const nodes = (await docker.listNodes()) as RawNode[];
  return nodes.map((raw) => ({
    id: raw.ID,
    hostname: raw.Description?.Hostname ?? raw.ID,
    role: raw.Spec?.Role === 'manager' ? 'manager' : 'worker',
    state: raw.Status?.State ?? 'unknown',
    availability: raw.Spec?.Availability ?? 'active',
    labels: raw.Spec?.Labels ?? {},
    engineLabels: raw.Description?.Engine?.Labels ?? {},
    platform: {
      os: raw.Description?.Platform?.OS ?? '',
      arch: raw.Description?.Platform?.Architecture ?? '',
    },
  }));
}

/** Undefined when the service does not exist (yet). */
export async function readService(
  client: SwarmClient,
  name: string,
  fullName: string,
): Promise<ServiceView | undefined> {
  const found = await client.inspectService(fullName);
  if (!found) return undefined;
  const spec = found.spec as ServiceSpec;
  const tasks = (await client.docker.listTasks({
    filters: JSON.stringify({ service: [fullName] }),
  })) as RawTask[];
  return {
    name,
    replicas: spec.Mode?.Global !== undefined ? undefined : (spec.Mode?.Replicated?.Replicas ?? 1),
    constraints: spec.TaskTemplate?.Placement?.Constraints ?? [],
    maxPerNode: spec.TaskTemplate?.Placement?.MaxReplicas ?? 0,
    updateState: found.updateState,
    tasks: tasks.map((task): TaskView => ({
      id: task.ID,
      nodeId: task.NodeID,
      state: task.Status?.State ?? 'unknown',
      desiredState: task.DesiredState ?? 'unknown',
    })),
  };
}

/**
 * Sets the count when it is still `expected`; false when someone (the autoscaler, a person) changed it
 * first. Only the count changes, so no task restarts.
 */
export async function setReplicas(
  client: SwarmClient,
  fullName: string,
  replicas: number,
  expected: number,
): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await client.inspectService(fullName);
    if (!found) return false;
    const spec = structuredClone(found.spec) as ServiceSpec & Record<string, unknown>;
    if (spec.Mode?.Replicated?.Replicas !== expected) return spec.Mode?.Replicated?.Replicas === replicas;
    spec.Mode = { ...spec.Mode, Replicated: { Replicas: replicas } };
    try {
      await client.updateService(found.id, found.version, spec);
      return true;
    } catch (error) {
      // A reconcile pass wrote in between: read again, so neither write is lost.
      if (!isOutOfSequence(error)) throw error;
    }
  }
  return false;
}
