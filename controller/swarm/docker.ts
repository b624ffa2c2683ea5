/**
 * The controller's only door to the Docker engine: reads the actual state of one stack and performs
 * single-object writes. Everything above it works on plain data.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import type { ActualObject, ActualService, ActualState } from '../plan/planner.js';
import type { JobTask } from '../status/job.js';
import { LABEL_MANAGED_BY, ownershipLabels, type EngineFeatures, type Spec } from './spec.js';

export class DockerApiError extends Error {
  override readonly name = 'DockerApiError';
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Swarm's answer when the version sent with an update is no longer the current one. */
export function isOutOfSequence(error: unknown): boolean {
  return error instanceof Error && /update out of sequence/i.test(error.message);
}

function wrap(error: unknown, what: string): DockerApiError {
  const status = (error as { statusCode?: number }).statusCode;
  const reason =
    (error as { json?: { message?: string } }).json?.message ?? (error as Error).message ?? String(error);
  return new DockerApiError(`${what}: ${reason}`, status, { cause: error });
}

interface RawObject {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Name?: string; Labels?: Record<string, string> } & Record<string, unknown>;
  Name?: string;
  Labels?: Record<string, string>;
  Id?: string;
  UpdateStatus?: { State?: string };
}

interface RawTask {
  ID: string;
  CreatedAt?: string;
  JobIteration?: { Index?: number };
  Status?: { State?: string; Err?: string; Timestamp?: string; ContainerStatus?: { ExitCode?: number } };
}

export class SwarmClient {
  constructor(readonly docker: Docker = new Docker()) {}

  async features(): Promise<EngineFeatures> {
    const version = (await this.docker.version()) as { ApiVersion?: string };
    const [major = 0, minor = 0] = (version.ApiVersion ?? '0.0').split('.').map(Number);
    return { seccomp: major > 1 || (major === 1 && minor >= 44) };
  }

  /** Everything named `<stack>_…`, managed or not: the planner needs to see unmanaged name clashes. */
  async readActual(stack: string): Promise<ActualState> {
    const prefix = `${stack}_`;
    try {
      const [services, networks, secrets] = await Promise.all([
        this.docker.listServices() as unknown as Promise<RawObject[]>,
        this.docker.listNetworks() as unknown as Promise<RawObject[]>,
        this.docker.listSecrets() as unknown as Promise<RawObject[]>,
      ]);
      const toService = (raw: RawObject): ActualService => ({
        id: raw.ID,
        name: raw.Spec?.Name ?? '',
        labels: raw.Spec?.Labels ?? {},
        version: raw.Version?.Index ?? 0,
        spec: raw.Spec ?? {},
        updateState: raw.UpdateStatus?.State,
      });
      return {
        services: services.map(toService).filter((service) => service.name.startsWith(prefix)),
        networks: networks
          .map((raw): ActualObject => ({
            id: raw.Id ?? raw.ID,
            name: raw.Name ?? '',
            labels: raw.Labels ?? {},
          }))
          .filter((network) => network.name.startsWith(prefix)),
        secrets: secrets
          .map((raw): ActualObject => ({
            id: raw.ID,
            name: raw.Spec?.Name ?? '',
            labels: raw.Spec?.Labels ?? {},
          }))
          .filter((secret) => secret.name.startsWith(prefix)),
      };
    } catch (error) {
      throw wrap(error, 'reading the swarm state');
    }
  }

  async inspectService(name: string): Promise<ActualService | undefined> {
    try {
      const raw = (await this.docker.getService(name).inspect()) as RawObject;
      return {
        id: raw.ID,
        name: raw.Spec?.Name ?? name,
        labels: raw.Spec?.Labels ?? {},
        version: raw.Version?.Index ?? 0,
        spec: raw.Spec ?? {},
        updateState: raw.UpdateStatus?.State,
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw wrap(error, `inspecting service ${name}`);
    }
  }

  async createNetwork(
    name: string,
    stack: string,
    def: { attachable?: boolean; internal?: boolean; subnet?: string; labels?: Record<string, string> },
  ): Promise<void> {
    try {
      await this.docker.createNetwork({
        Name: name,
        Driver: 'overlay',
        Attachable: def.attachable ?? false,
        Internal: def.internal ?? false,
        CheckDuplicate: true,
        ...(def.subnet === undefined
          ? {}
          : { IPAM: { Driver: 'default', Config: [{ Subnet: def.subnet }] } }),
        Labels: { ...def.labels, ...ownershipLabels(stack) },
      });
    } catch (error) {
      throw wrap(error, `creating network ${name}`);
    }
  }

  async createSecret(
    name: string,
    stack: string,
    value: Buffer,
    labels: Record<string, string> = {},
  ): Promise<void> {
    try {
      await this.docker.createSecret({
        Name: name,
        Labels: { ...labels, ...ownershipLabels(stack) },
        Data: value.toString('base64'),
      });
    } catch (error) {
      throw wrap(error, `creating secret ${name}`);
    }
  }

  static generatedSecret(): Buffer {
    return Buffer.from(randomBytes(32).toString('hex'));
  }

  async createService(spec: Spec): Promise<void> {
    try {
      await this.docker.createService(spec as unknown as Docker.CreateServiceOptions);
    } catch (error) {
      throw wrap(error, `creating service ${String(spec.Name)}`);
    }
  }

  /** Sends `spec` guarded by `version`; Swarm refuses it when someone wrote in between. */
  async updateService(id: string, version: number, spec: Spec): Promise<void> {
    try {
      // docker-modem sends `_query` as the query string and `_body` as the JSON body.
      await this.docker.getService(id).update({ _query: { version }, _body: spec });
    } catch (error) {
      throw wrap(error, `updating service ${String(spec.Name)}`);
    }
  }

  async remove(kind: 'service' | 'network' | 'secret', id: string): Promise<void> {
    try {
      if (kind === 'service') await this.docker.getService(id).remove();
      else if (kind === 'network') await this.docker.getNetwork(id).remove();
      else await this.docker.getSecret(id).remove();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return;
      throw wrap(error, `removing ${kind} ${id}`);
    }
    if (kind === 'service') await this.#removeLeftContainers(id);
  }

  /**
   * Docker 20.10 engines keep the exited containers of a removed job service (a replicated service's
   * are removed by Swarm): those on this engine are removed here. Other nodes' are out of this API's
   * reach (docs/controller.md). A container gone meanwhile, or still being removed, is skipped.
   */
  async #removeLeftContainers(serviceId: string): Promise<void> {
    let left: Array<{ Id: string }>;
    try {
      left = await this.docker.listContainers({
        all: true,
        filters: JSON.stringify({
          label: [`com.docker.swarm.service.id=${serviceId}`],
          status: ['exited', 'created', 'dead'],
        }),
      });
    } catch (error) {
      throw wrap(error, `listing the containers left by service ${serviceId}`);
    }
    for (const container of left) {
      try {
        await this.docker.getContainer(container.Id).remove();
      } catch (error) {
        const code = (error as { statusCode?: number }).statusCode;
        if (code !== 404 && code !== 409) {
          throw wrap(error, `removing container ${container.Id} of service ${serviceId}`);
        }
      }
    }
  }

  /** Running tasks of a service whose containers passed their healthcheck (Swarm marks them running only then). */
  async runningTasks(serviceName: string): Promise<number> {
    try {
      const tasks = (await this.docker.listTasks({
        filters: JSON.stringify({ service: [serviceName], 'desired-state': ['running'] }),
      })) as Array<{ Status?: { State?: string } }>;
      return tasks.filter((task) => task.Status?.State === 'running').length;
    } catch (error) {
      throw wrap(error, `listing tasks of ${serviceName}`);
    }
  }

  /**
   * A job service's current run (`JobStatus.JobIteration`, absent while 0) and every task it has kept,
   * of earlier runs too; undefined when the service does not exist.
   */
  async jobTasks(serviceName: string): Promise<{ iteration: number; tasks: JobTask[] } | undefined> {
    let raw: { JobStatus?: { JobIteration?: { Index?: number } } };
    try {
      raw = (await this.docker.getService(serviceName).inspect()) as typeof raw;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw wrap(error, `inspecting service ${serviceName}`);
    }
    try {
      const tasks = (await this.docker.listTasks({
        filters: JSON.stringify({ service: [serviceName] }),
      })) as RawTask[];
      return {
        iteration: raw.JobStatus?.JobIteration?.Index ?? 0,
        tasks: tasks.map((task) => ({
          id: task.ID,
          iteration: task.JobIteration === undefined ? undefined : (task.JobIteration.Index ?? 0),
          state: task.Status?.State ?? 'new',
          error: task.Status?.Err || undefined,
          exitCode: task.Status?.ContainerStatus?.ExitCode,
          at: task.Status?.Timestamp ?? task.CreatedAt ?? '',
        })),
      };
    } catch (error) {
      throw wrap(error, `listing tasks of ${serviceName}`);
    }
  }

  /** Whether any object with the controller's labels exists; used by cleanup checks in tests. */
  static managedFilter(stack: string): string {
    return JSON.stringify({ label: [`${LABEL_MANAGED_BY}`, `io.remcode.stack=${stack}`] });
  }
}
