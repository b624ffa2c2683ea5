/**
 * Reads and validates the desired-state file. Every mistake becomes a `DesiredIssue` naming the file,
 * the line and the path; a file with any issue is rejected whole, so the controller keeps applying the
 * last good state.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { catalogueLanguageIds } from '../../common/language-packages.js';
import { InvalidSubnet, parseSubnet, subnetContains } from '../../common/subnet.js';
import type { Subnet } from '../../common/subnet.js';
import { parseBytes, parseDurationMs } from '../../common/units.js';
import { policyIssues } from '../autoscale/policy.js';
import { rebalanceIssues } from '../rebalance/policy.js';
import { languageIssues } from './pools.js';
import { SeccompProfileError, readSeccompProfile } from './seccomp.js';
import { DesiredSchema } from './schema.js';
import type { DesiredFile, ServiceDef } from './schema.js';
import { YamlSyntaxError, lineFor, parseYamlWithLines } from './yaml-positions.js';

export interface DesiredIssue {
  readonly file: string;
  readonly line: number;
  /** Dotted path such as `services.webapp.ports[0].published`. */
  readonly path: string;
  readonly message: string;
}

export class DesiredStateError extends Error {
  override readonly name = 'DesiredStateError';
  constructor(readonly issues: readonly DesiredIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

export function formatIssue(issue: DesiredIssue): string {
  return `${issue.file}:${issue.line}: ${issue.path || '(root)'}: ${issue.message}`;
}

export type LoadResult =
  | { readonly ok: true; readonly desired: DesiredFile; readonly source: string }
  | { readonly ok: false; readonly issues: readonly DesiredIssue[] };

const checker = TypeCompiler.Compile(DesiredSchema);

function pointerToPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path;
}

/** Parses and validates `source` as the contents of `file`. */
export function parseDesired(source: string, file: string): LoadResult {
  let located;
  try {
    located = parseYamlWithLines(source, file);
  } catch (error) {
    if (error instanceof YamlSyntaxError) {
      return { ok: false, issues: [{ file, line: error.line, path: '', message: error.reason }] };
    }
    throw error;
  }
  const { value, lines } = located;
  const issues: DesiredIssue[] = [];
  const add = (pointer: string, message: string, preferKey = false): void => {
    issues.push({ file, line: lineFor(lines, pointer, preferKey), path: pointerToPath(pointer), message });
  };
  if (!checker.Check(value)) {
    const seen = new Set<string>();
    for (const error of checker.Errors(value)) {
      if (seen.has(error.path)) continue;
      seen.add(error.path);
      // An unknown key is reported at the key itself, by name, so a typo is easy to spot.
      if (error.type === ValueErrorType.ObjectAdditionalProperties) {
        const key = error.path.slice(error.path.lastIndexOf('/') + 1);
        const isName = (error.schema as { patternProperties?: object }).patternProperties !== undefined;
        add(
          error.path,
          isName
            ? `"${key}" is not a valid name (lower-case letters, digits, - and _)`
            : `unknown key "${key}"`,
          true,
        );
        continue;
      }
      add(error.path, error.message);
    }
    return { ok: false, issues };
  }
  const desired = value;
  checkSemantics(desired, add);
  resolveSeccompProfiles(desired, file, add);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, desired, source };
}

export async function loadDesired(file: string): Promise<LoadResult> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, issues: [{ file, line: 1, path: '', message: `cannot read the file: ${message}` }] };
  }
  return parseDesired(source, file);
}

/**
 * Each `seccomp: { profile }` is checked now and made absolute: the spec builder reads it again later
 * and knows nothing of where the desired-state file lives.
 */
function resolveSeccompProfiles(
  desired: DesiredFile,
  file: string,
  add: (pointer: string, message: string, preferKey?: boolean) => void,
): void {
  for (const [name, def] of Object.entries(desired.services)) {
    if (typeof def.seccomp !== 'object') continue;
    const path = resolve(dirname(file), def.seccomp.profile);
    try {
      readSeccompProfile(path);
    } catch (error) {
      if (!(error instanceof SeccompProfileError)) throw error;
      add(`/services/${name}/seccomp/profile`, error.message);
      continue;
    }
    def.seccomp = { profile: path };
  }
}

let languageIds: { value: ReadonlySet<string> | undefined } | undefined;
/** The catalogue's ids, read once per process. */
function knownLanguages(): ReadonlySet<string> | undefined {
  languageIds ??= { value: catalogueLanguageIds() };
  return languageIds.value;
}

function checkSemantics(
  desired: DesiredFile,
  add: (pointer: string, message: string, preferKey?: boolean) => void,
): void {
  const networks = new Set(Object.keys(desired.networks ?? {}));
  const secrets = new Set(Object.keys(desired.secrets ?? {}));
  const volumes = new Set(Object.keys(desired.volumes ?? {}));
  const services = desired.services;
  const published = new Map<string, string>();

  // Docker would refuse a bad or overlapping subnet only when it creates the network, mid-apply.
  const subnets: [string, Subnet][] = [];
  for (const [name, network] of Object.entries(desired.networks ?? {})) {
    if (network.subnet === undefined) continue;
    let subnet: Subnet;
    try {
      subnet = parseSubnet(network.subnet);
    } catch (error) {
      if (!(error instanceof InvalidSubnet)) throw error;
      add(`/networks/${name}/subnet`, `the subnet ${error.message}`);
      continue;
    }
    const overlapping = subnets.find(
      ([, other]) => subnetContains(other, subnet.network) || subnetContains(subnet, other.network),
    );
    if (overlapping)
      add(
        `/networks/${name}/subnet`,
        `the subnet overlaps network "${overlapping[0]}"'s ${overlapping[1].text}`,
      );
    else subnets.push([name, subnet]);
  }
  for (const [name, secret] of Object.entries(desired.secrets ?? {})) {
    if ((secret.generate === true) === (secret.file !== undefined)) {
      add(`/secrets/${name}`, 'a secret needs exactly one of "generate: true" or "file"');
    }
  }
  for (const [name, service] of Object.entries(services)) {
    const at = `/services/${name}`;
    checkJob(service, at, add);
    if (service.autoscale !== undefined) {
      if (service.replicas !== undefined) {
        add(
          `${at}/replicas`,
          'replicas and autoscale are mutually exclusive: the autoscaler owns the replica count',
          true,
        );
      }
      for (const issue of policyIssues(service.autoscale))
        add(`${at}/autoscale/${issue.path}`, issue.message);
    }
    if (service.rebalance !== undefined) {
      for (const issue of rebalanceIssues(service.rebalance))
        add(`${at}/rebalance/${issue.path}`, issue.message);
    }
    if (service.languages !== undefined) {
      for (const issue of languageIssues(service, knownLanguages()))
        add(`${at}/${issue.path}`, issue.message);
    } else if (service.gcc_extras !== undefined) {
      add(
        `${at}/gcc_extras`,
        "gcc_extras shapes an executor pool's image: give the service languages: as well",
        true,
      );
    }
    service.networks?.forEach((network, i) => {
      if (!networks.has(network))
        add(`${at}/networks/${i}`, `network "${network}" is not declared under networks`);
    });
    service.secrets?.forEach((use, i) => {
      const source = typeof use === 'string' ? use : use.source;
      const pointer = typeof use === 'string' ? `${at}/secrets/${i}` : `${at}/secrets/${i}/source`;
      if (!secrets.has(source)) add(pointer, `secret "${source}" is not declared under secrets`);
    });
    service.depends_on?.forEach((dependency, i) => {
      if (dependency === name) add(`${at}/depends_on/${i}`, 'a service cannot depend on itself');
      else if (!(dependency in services))
        add(`${at}/depends_on/${i}`, `service "${dependency}" is not declared`);
    });
    service.mounts?.forEach((mount, i) => {
      const pointer = `${at}/mounts/${i}`;
      if (mount.type === 'volume' && (mount.source === undefined || !volumes.has(mount.source))) {
        add(pointer, `volume "${mount.source ?? ''}" is not declared under volumes`);
      }
      if (mount.type === 'bind' && !mount.source?.startsWith('/'))
        add(pointer, 'a bind mount needs an absolute source');
      if (mount.type === 'tmpfs' && mount.source !== undefined) add(pointer, 'a tmpfs mount takes no source');
    });
    service.ports?.forEach((port, i) => {
      if (service.endpoint_mode === 'dnsrr' && (port.mode ?? 'ingress') === 'ingress') {
        add(
          `${at}/ports/${i}`,
          'a dnsrr service can publish only in mode: host (the routing mesh needs a virtual IP)',
        );
      }
      const key = `${port.protocol ?? 'tcp'}/${port.published}`;
      const other = published.get(key);
      if (other !== undefined)
        add(`${at}/ports/${i}/published`, `port ${key} is already published by ${other}`);
      published.set(key, name);
    });
    checkResources(service, at, add);
  }
  const cycle = findCycle(services);
  if (cycle) add(`/services/${cycle[0]}/depends_on`, `dependency cycle: ${cycle.join(' -> ')}`);
}

/** What a service that runs to completion cannot have: a count, a rollout, a place in the edge. */
const NOT_FOR_JOBS: Readonly<Partial<Record<keyof ServiceDef, string>>> = {
  replicas: 'a job runs one task to completion',
  autoscale: 'a job runs one task to completion; nothing scales it',
  rebalance: 'a job has no running tasks to spread',
  languages: 'an executor pool runs until stopped',
  gcc_extras: 'an executor pool runs until stopped',
  update_config: 'Swarm runs a changed job again instead of rolling it out',
  rollback_config: 'Swarm runs a changed job again instead of rolling it out',
  ports: 'a job serves nothing',
};

function checkJob(
  service: ServiceDef,
  at: string,
  add: (pointer: string, message: string, preferKey?: boolean) => void,
): void {
  if (service.mode !== 'job') {
    if (service.restart_policy !== undefined)
      add(
        `${at}/restart_policy`,
        'restart_policy applies to mode: job; a replicated service is started again whenever it stops',
        true,
      );
    return;
  }
  for (const [key, why] of Object.entries(NOT_FOR_JOBS)) {
    if (key in service) add(`${at}/${key}`, `mode: job takes no ${key}: ${why}`, true);
  }
}

function checkResources(
  service: ServiceDef,
  at: string,
  add: (pointer: string, message: string) => void,
): void {
  const limits = service.resources?.limits;
  const reservations = service.resources?.reservations;
  const memory = (value: string | number | undefined): number | undefined =>
    value === undefined ? undefined : parseBytes(value);
  const limitMemory = memory(limits?.memory);
  const reservedMemory = memory(reservations?.memory);
  if (limitMemory !== undefined && limitMemory < 4 * 1024 * 1024) {
    add(`${at}/resources/limits/memory`, 'a memory limit below 4MiB cannot start a container');
  }
  if (limitMemory !== undefined && reservedMemory !== undefined && reservedMemory > limitMemory) {
    add(`${at}/resources/reservations/memory`, 'the memory reservation is larger than the limit');
  }
  if (limits?.cpus !== undefined && reservations?.cpus !== undefined && reservations.cpus > limits.cpus) {
    add(`${at}/resources/reservations/cpus`, 'the CPU reservation is larger than the limit');
  }
  const health = service.healthcheck;
  if (health && health.test[0] !== 'NONE' && health.test[0] !== 'CMD' && health.test[0] !== 'CMD-SHELL') {
    add(`${at}/healthcheck/test/0`, 'the test starts with "CMD", "CMD-SHELL" or "NONE"');
  }
  if (health?.timeout !== undefined && health.interval !== undefined) {
    if (parseDurationMs(health.timeout) > parseDurationMs(health.interval)) {
      add(`${at}/healthcheck/timeout`, 'the timeout is longer than the interval');
    }
  }
}

function findCycle(services: DesiredFile['services']): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dependency of services[name]?.depends_on ?? []) {
      if (!(dependency in services) || dependency === name) continue;
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(services)) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}
