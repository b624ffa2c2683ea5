/**
 * Translation between a service in the desired-state file and a Swarm service spec, and the list of
 * fields the controller manages. Each field reads a canonical value from a spec (defaults filled in,
 * lists sorted) so that desired and actual compare equal exactly when Swarm would run the same thing;
 * fields the controller does not manage are never compared and never written.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { parseBytes, parseDurationMs } from '../../common/units.js';
import type { DesiredFile, ServiceDef } from '../desired/schema.js';
import { imageMatches } from './image.js';
import { poolEnvironment } from '../desired/pools.js';
import { readSeccompProfile } from '../desired/seccomp.js';

/** A Swarm service spec as JSON; only the parts the fields below touch are typed at their use. */
export type Spec = Record<string, unknown>;

export const LABEL_MANAGED_BY = 'io.remcode.managed-by';
export const LABEL_STACK = 'io.remcode.stack';
export const LABEL_SERVICE = 'io.remcode.service';
/** Lets `docker stack ps/services` show what the controller manages. */
export const LABEL_DOCKER_STACK = 'com.docker.stack.namespace';
export const MANAGER = 'remcode-controller';

export function ownershipLabels(stack: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGER, [LABEL_STACK]: stack, [LABEL_DOCKER_STACK]: stack };
}

export function isManaged(labels: Record<string, string> | undefined, stack: string): boolean {
  return labels?.[LABEL_MANAGED_BY] === MANAGER && labels[LABEL_STACK] === stack;
}

export function objectName(stack: string, name: string): string {
  return `${stack}_${name}`;
}

/** What the connected engine can express in a service spec. */
export interface EngineFeatures {
  /** `Privileges.Seccomp` in service specs (Docker API 1.44 and later). */
  readonly seccomp: boolean;
}

export interface ReadContext {
  /** Network id → name, since Swarm stores network ids in a spec that was sent names. */
  readonly networkNames: ReadonlyMap<string, string>;
}

const ms = (value: string | number | undefined): number | undefined =>
  value === undefined ? undefined : parseDurationMs(value) * 1_000_000;

function get(spec: unknown, path: readonly string[]): unknown {
  let current = spec;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function set(spec: Spec, path: readonly string[], value: unknown): void {
  let current: Record<string, unknown> = spec;
  for (const key of path.slice(0, -1)) {
    const next = current[key];
    if (next === null || typeof next !== 'object') current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (value === undefined) delete current[last];
  else current[last] = structuredClone(value);
}

function updatePolicy(policy: ServiceDef['update_config']): Record<string, unknown> {
  return {
    Parallelism: policy?.parallelism ?? 1,
    Delay: ms(policy?.delay) ?? 0,
    FailureAction: policy?.failure_action ?? 'pause',
    Monitor: ms(policy?.monitor) ?? 5_000_000_000,
    MaxFailureRatio: policy?.max_failure_ratio ?? 0,
    Order: policy?.order ?? 'stop-first',
  };
}

function resources(def: ServiceDef['resources']): Record<string, unknown> {
  const side = (r: { cpus?: number; memory?: string | number } | undefined): Record<string, number> => ({
    ...(r?.cpus !== undefined ? { NanoCPUs: Math.round(r.cpus * 1e9) } : {}),
    ...(r?.memory !== undefined ? { MemoryBytes: parseBytes(r.memory) } : {}),
  });
  return { Limits: side(def?.limits), Reservations: side(def?.reservations) };
}

/** Docker names capabilities with `CAP_`; `ALL` (as in `cap_drop: [ALL]`) it takes as it is. */
const capability = (name: string): string =>
  name === 'ALL' || name.startsWith('CAP_') ? name : `CAP_${name}`;

/** A job's failed task is started again after this long, */
const JOB_RESTART_DELAY_NS = 5_000_000_000;
/**
 * ... this many times in all, then the run counts as failed until its spec changes: enough for a
 * migration to outlast a Postgres that was still starting, few enough that a broken one is reported
 * as failed rather than retried for ever.
 */
export const JOB_MAX_ATTEMPTS = 3;

export function isJob(def: ServiceDef | undefined): boolean {
  return def?.mode === 'job';
}

/** `replicated` or `job`, as a spec on either side of a diff says. */
export function specMode(spec: Spec): 'replicated' | 'job' | 'other' {
  const mode = get(spec, ['Mode']);
  if (mode !== null && typeof mode === 'object') {
    if ('ReplicatedJob' in mode) return 'job';
    if ('Replicated' in mode) return 'replicated';
  }
  return 'other';
}

/**
 * `Privileges.Seccomp` of a service spec. The engine takes a custom profile as bytes, which its JSON
 * carries as base64 (Go's encoding of a byte slice), and hands it back the same way.
 */
function seccompOptions(seccomp: NonNullable<ServiceDef['seccomp']>): Record<string, string> {
  if (seccomp === 'unconfined') return { Mode: 'unconfined' };
  return { Mode: 'custom', Profile: Buffer.from(readSeccompProfile(seccomp.profile)).toString('base64') };
}

/** The full spec of a service as the file describes it; secret ids come from `secretIds` (name → id). */
export function buildServiceSpec(
  desired: DesiredFile,
  name: string,
  secretIds: ReadonlyMap<string, string>,
  features: EngineFeatures,
): Spec {
  const def = desired.services[name];
  if (!def) throw new Error(`service ${name} is not in the desired state`);
  const stack = desired.stack;
  const containerSpec: Record<string, unknown> = {
    Image: def.image,
    ...(def.entrypoint ? { Command: def.entrypoint } : {}),
    ...(def.command ? { Args: def.command } : {}),
    // An executor pool's tasks learn their pool and languages here; the file's `languages:` wins over
    // the same variables in `environment:`.
    Env: Object.entries({ ...def.environment, ...poolEnvironment(name, def) }).map(
      ([key, value]) => `${key}=${value}`,
    ),
    Labels: { ...def.container_labels, ...ownershipLabels(stack) },
    ...(def.user ? { User: def.user } : {}),
    ...(def.working_dir ? { Dir: def.working_dir } : {}),
    ...(def.init !== undefined ? { Init: def.init } : {}),
    Secrets: (def.secrets ?? []).map((use) => {
      const source = typeof use === 'string' ? use : use.source;
      const target = typeof use === 'string' ? source : (use.target ?? source);
      const secretName = objectName(stack, source);
      return {
        SecretName: secretName,
        SecretID: secretIds.get(secretName) ?? '',
        File: {
          Name: target,
          UID: '0',
          GID: '0',
          Mode: typeof use === 'string' ? 0o444 : (use.mode ?? 0o444),
        },
      };
    }),
    Mounts: (def.mounts ?? []).map((mount) => ({
      Type: mount.type,
      ...(mount.source !== undefined
        ? { Source: mount.type === 'volume' ? objectName(stack, mount.source) : mount.source }
        : {}),
      Target: mount.target,
      ReadOnly: mount.read_only ?? false,
      ...(mount.type === 'volume' && mount.source !== undefined
        ? {
            VolumeOptions: {
              Labels: ownershipLabels(stack),
              DriverConfig: { Name: desired.volumes?.[mount.source]?.driver ?? 'local' },
            },
          }
        : {}),
    })),
    ...(def.read_only !== undefined ? { ReadOnly: def.read_only } : {}),
    ...(def.cap_add ? { CapabilityAdd: def.cap_add.map(capability) } : {}),
    ...(def.cap_drop ? { CapabilityDrop: def.cap_drop.map(capability) } : {}),
    ...(def.seccomp && features.seccomp ? { Privileges: { Seccomp: seccompOptions(def.seccomp) } } : {}),
    ...(def.healthcheck
      ? {
          Healthcheck: {
            Test: def.healthcheck.test,
            ...(def.healthcheck.interval !== undefined ? { Interval: ms(def.healthcheck.interval) } : {}),
            ...(def.healthcheck.timeout !== undefined ? { Timeout: ms(def.healthcheck.timeout) } : {}),
            ...(def.healthcheck.retries !== undefined ? { Retries: def.healthcheck.retries } : {}),
            ...(def.healthcheck.start_period !== undefined
              ? { StartPeriod: ms(def.healthcheck.start_period) }
              : {}),
          },
        }
      : {}),
    StopGracePeriod: ms(def.stop_grace_period) ?? 10_000_000_000,
  };
  const job = isJob(def);
  return {
    Name: objectName(stack, name),
    Labels: { ...def.labels, ...ownershipLabels(stack), [LABEL_SERVICE]: name },
    TaskTemplate: {
      ContainerSpec: containerSpec,
      Resources: resources(def.resources),
      RestartPolicy: job
        ? {
            // A job's task that exits 0 is done; only a failed one is started again.
            Condition: 'on-failure',
            Delay: ms(def.restart_policy?.delay) ?? JOB_RESTART_DELAY_NS,
            MaxAttempts: def.restart_policy?.max_attempts ?? JOB_MAX_ATTEMPTS,
          }
        : { Condition: 'any', Delay: 5_000_000_000, MaxAttempts: 0 },
      Placement: {
        Constraints: def.placement?.constraints ?? [],
        Preferences: (def.placement?.preferences ?? []).map((p) => ({
          Spread: { SpreadDescriptor: p.spread },
        })),
        ...(def.placement?.max_replicas_per_node !== undefined
          ? { MaxReplicas: def.placement.max_replicas_per_node }
          : {}),
      },
      Networks: (def.networks ?? []).map((network) => ({
        Target: objectName(stack, network),
        Aliases: [name],
      })),
    },
    // Swarm runs a job again whenever its spec is updated; it has no rollout to configure.
    ...(job
      ? { Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } } }
      : {
          Mode: { Replicated: { Replicas: initialReplicas(def) } },
          UpdateConfig: updatePolicy(def.update_config),
          RollbackConfig: updatePolicy(def.rollback_config),
        }),
    EndpointSpec: {
      Mode: def.endpoint_mode ?? 'vip',
      Ports: (def.ports ?? []).map((port) => ({
        Protocol: port.protocol ?? 'tcp',
        TargetPort: port.target,
        PublishedPort: port.published,
        PublishMode: port.mode ?? 'ingress',
      })),
    },
  };
}

export interface Field {
  readonly name: string;
  /** Canonical value for comparison and display. */
  read(spec: Spec, context: ReadContext): unknown;
  equal?(desired: unknown, actual: unknown): boolean;
  /** Copies this field from `from` (a desired spec) into `into` (a copy of the actual spec). */
  write(into: Spec, from: Spec): void;
  /** Whether changing this field replaces running tasks. */
  readonly restartsTasks: boolean;
}

const C = ['TaskTemplate', 'ContainerSpec'];

function pathField(
  name: string,
  path: readonly string[],
  canonical: (value: unknown, context: ReadContext) => unknown = (value) => value ?? null,
  restartsTasks = true,
): Field {
  return {
    name,
    read: (spec, context) => canonical(get(spec, path), context),
    write: (into, from) => set(into, path, get(from, path)),
    restartsTasks,
  };
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
const sortedStrings = (value: unknown): string[] => list(value).map(String).sort();
const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
const sortByJson = <T>(items: T[]): T[] =>
  items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

function policyCanonical(value: unknown): unknown {
  const p = record(value);
  return {
    parallelism: p.Parallelism ?? 0,
    delay: p.Delay ?? 0,
    failure_action: p.FailureAction ?? 'pause',
    monitor: p.Monitor ?? 0,
    max_failure_ratio: p.MaxFailureRatio ?? 0,
    order: p.Order ?? 'stop-first',
  };
}

export const FIELDS: readonly Field[] = [
  {
    name: 'image',
    read: (spec) => get(spec, [...C, 'Image']) ?? null,
    equal: (desired, actual) =>
      typeof desired === 'string' && typeof actual === 'string' && imageMatches(desired, actual),
    write: (into, from) => set(into, [...C, 'Image'], get(from, [...C, 'Image'])),
    restartsTasks: true,
  },
  pathField('entrypoint', [...C, 'Command'], (v) => list(v)),
  pathField('command', [...C, 'Args'], (v) => list(v)),
  pathField('environment', [...C, 'Env'], (v) => sortedStrings(v)),
  pathField('user', [...C, 'User'], (v) => v ?? ''),
  pathField('working_dir', [...C, 'Dir'], (v) => v ?? ''),
  pathField('init', [...C, 'Init'], (v) => v ?? null),
  pathField('container_labels', [...C, 'Labels'], (v) => record(v)),
  pathField('secrets', [...C, 'Secrets'], (v) =>
    sortByJson(
      list(v).map((item) => {
        const s = record(item);
        const file = record(s.File);
        return { secret: s.SecretName, target: file.Name, mode: file.Mode };
      }),
    ),
  ),
  pathField('mounts', [...C, 'Mounts'], (v) =>
    sortByJson(
      list(v).map((item) => {
        const m = record(item);
        return { type: m.Type, source: m.Source ?? '', target: m.Target, read_only: m.ReadOnly ?? false };
      }),
    ),
  ),
  pathField('read_only', [...C, 'ReadOnly'], (v) => v ?? false),
  pathField('cap_add', [...C, 'CapabilityAdd'], (v) => sortedStrings(v)),
  pathField('cap_drop', [...C, 'CapabilityDrop'], (v) => sortedStrings(v)),
  pathField('seccomp', [...C, 'Privileges', 'Seccomp', 'Mode'], (v) => v ?? 'default'),
  // Compared, and shown in a plan, by digest: the profile itself is tens of kilobytes of base64.
  pathField('seccomp_profile', [...C, 'Privileges', 'Seccomp', 'Profile'], (v) =>
    typeof v === 'string' ? `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 16)}` : null,
  ),
  pathField('healthcheck', [...C, 'Healthcheck'], (v) => {
    const h = record(v);
    return v === undefined || v === null
      ? null
      : {
          test: list(h.Test),
          interval: h.Interval ?? 0,
          timeout: h.Timeout ?? 0,
          retries: h.Retries ?? 0,
          start_period: h.StartPeriod ?? 0,
        };
  }),
  pathField('stop_grace_period', [...C, 'StopGracePeriod'], (v) => v ?? 10_000_000_000),
  pathField('resources', ['TaskTemplate', 'Resources'], (v) => {
    const r = record(v);
    const side = (s: unknown): unknown => ({
      cpus: record(s).NanoCPUs ?? 0,
      memory: record(s).MemoryBytes ?? 0,
    });
    return { limits: side(r.Limits), reservations: side(r.Reservations) };
  }),
  {
    name: 'placement',
    read: (spec) => {
      const p = record(get(spec, ['TaskTemplate', 'Placement']));
      return {
        constraints: sortedStrings(p.Constraints),
        preferences: list(p.Preferences).map((item) => record(record(item).Spread).SpreadDescriptor),
        max_replicas_per_node: p.MaxReplicas ?? 0,
      };
    },
    // Keeps fields Swarm or the CLI add (Platforms) that the file does not describe.
    write: (into, from) => {
      for (const key of ['Constraints', 'Preferences', 'MaxReplicas']) {
        set(into, ['TaskTemplate', 'Placement', key], get(from, ['TaskTemplate', 'Placement', key]));
      }
    },
    restartsTasks: true,
  },
  pathField('networks', ['TaskTemplate', 'Networks'], (v, context) =>
    list(v)
      .map((item) => {
        const target = String(record(item).Target);
        return context.networkNames.get(target) ?? target;
      })
      .sort(),
  ),
  pathField('restart_policy', ['TaskTemplate', 'RestartPolicy'], (v) => {
    const r = record(v);
    return {
      condition: r.Condition ?? 'any',
      delay: r.Delay ?? 5_000_000_000,
      max_attempts: r.MaxAttempts ?? 0,
    };
  }),
  pathField('labels', ['Labels'], (v) => record(v), false),
  pathField('replicas', ['Mode', 'Replicated', 'Replicas'], (v) => v ?? null, false),
  pathField('update_config', ['UpdateConfig'], policyCanonical, false),
  pathField('rollback_config', ['RollbackConfig'], policyCanonical, false),
  pathField('endpoint_mode', ['EndpointSpec', 'Mode'], (v) => v ?? 'vip', false),
  pathField(
    'ports',
    ['EndpointSpec', 'Ports'],
    (v) =>
      sortByJson(
        list(v).map((item) => {
          const p = record(item);
          return {
            protocol: p.Protocol ?? 'tcp',
            target: p.TargetPort,
            published: p.PublishedPort,
            mode: p.PublishMode ?? 'ingress',
          };
        }),
      ),
    false,
  ),
];

export interface FieldDiff {
  readonly field: string;
  readonly desired: unknown;
  readonly actual: unknown;
}

/**
 * Replicas a service is created with. An autoscaled service starts at its minimum; from then on the
 * autoscaler, not the file, owns the count (see `replicasOwnedByAutoscaler`).
 */
export function initialReplicas(def: ServiceDef): number {
  return def.replicas ?? def.autoscale?.min ?? 1;
}

/** The planner leaves the replica count of these services alone, so it never undoes a scaling step. */
export function replicasOwnedByAutoscaler(def: ServiceDef | undefined): boolean {
  return def?.autoscale !== undefined;
}

export function diffSpecs(desired: Spec, actual: Spec, context: ReadContext): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  for (const field of FIELDS) {
    const want = field.read(desired, context);
    const have = field.read(actual, context);
    const same = field.equal ? field.equal(want, have) : isDeepStrictEqual(want, have);
    if (!same) diffs.push({ field: field.name, desired: want, actual: have });
  }
  return diffs;
}

/**
 * The spec to send for an update: the actual spec with only the differing fields replaced, so that
 * everything else, including `TaskTemplate.ForceUpdate`, stays byte-for-byte what Swarm has and a
 * replicas-only change never restarts a task.
 */
export function mergeForUpdate(actual: Spec, desired: Spec, diffs: readonly FieldDiff[]): Spec {
  const next = structuredClone(actual);
  const changed = new Set(diffs.map((diff) => diff.field));
  for (const field of FIELDS) if (changed.has(field.name)) field.write(next, desired);
  return next;
}

export function restartsTasks(diffs: readonly FieldDiff[]): boolean {
  return diffs.some((diff) => FIELDS.find((field) => field.name === diff.field)?.restartsTasks ?? true);
}
