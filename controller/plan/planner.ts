/**
 * The planner: a pure function from desired and actual state to an ordered list of actions with
 * field-level diffs. It never talks to Docker, so every tricky case is a table row in its test.
 */
import type { DesiredFile } from '../desired/schema.js';
import {
  buildServiceSpec,
  diffSpecs,
  isManaged,
  objectName,
  replicasOwnedByAutoscaler,
  restartsTasks,
  specMode,
  type EngineFeatures,
  type FieldDiff,
  type Spec,
} from '../swarm/spec.js';

export interface ActualObject {
  readonly id: string;
  readonly name: string;
  readonly labels: Record<string, string>;
}

export interface ActualService extends ActualObject {
  readonly version: number;
  readonly spec: Spec;
  /** `UpdateStatus.State` of the service's last rolling update, if any. */
  readonly updateState: string | undefined;
}

export interface ActualState {
  readonly services: readonly ActualService[];
  readonly networks: readonly ActualObject[];
  readonly secrets: readonly ActualObject[];
}

export type ObjectKind = 'network' | 'secret' | 'service';

export type Action =
  | {
      readonly kind: 'create';
      readonly object: ObjectKind;
      readonly name: string;
      readonly dependsOn: readonly string[];
    }
  | {
      readonly kind: 'update';
      readonly object: 'service';
      readonly name: string;
      readonly diffs: readonly FieldDiff[];
      readonly restartsTasks: boolean;
      readonly dependsOn: readonly string[];
    }
  | { readonly kind: 'remove'; readonly object: ObjectKind; readonly name: string }
  | { readonly kind: 'noop'; readonly object: ObjectKind; readonly name: string }
  /** Not applied: an unmanaged object holds the name, or a rolling update is paused or rolling back. */
  | { readonly kind: 'blocked'; readonly object: ObjectKind; readonly name: string; readonly reason: string };

export interface Plan {
  readonly actions: readonly Action[];
}

/** Rolling-update states in which the controller must not write: a person or Swarm is deciding. */
export const HANDS_OFF_STATES: ReadonlySet<string> = new Set([
  'paused',
  'rollback_started',
  'rollback_paused',
]);

export interface PlanOptions {
  readonly features: EngineFeatures;
  /** Services whose replica count another part holds for now (the rebalancer, mid-move). */
  readonly heldReplicas?: ReadonlySet<string>;
}

/**
 * The differences the reconciler may write: the replica count is left alone where the autoscaler owns
 * it, and while the rebalancer holds it for a move (undoing its extra task would defeat the move).
 */
export function ownDiffs(
  diffs: readonly FieldDiff[],
  desired: DesiredFile,
  name: string,
  heldReplicas: ReadonlySet<string> | undefined,
): FieldDiff[] {
  const keep = replicasOwnedByAutoscaler(desired.services[name]) || (heldReplicas?.has(name) ?? false);
  return diffs.filter((diff) => diff.field !== 'replicas' || !keep);
}

/**
 * Why a service cannot be updated into `want`: Swarm refuses to change a service's mode, so a service
 * that becomes a job (or stops being one) must be removed first, by a person who knows what its tasks
 * hold. Undefined when the modes agree.
 */
export function modeChangeReason(want: Spec, actual: Spec): string | undefined {
  const [from, to] = [specMode(actual), specMode(want)];
  if (from === to) return undefined;
  return (
    `its mode is ${from} and the file asks for ${to}, which Swarm cannot change in place; ` +
    `remove the service (docker service rm ${String(want.Name)}) and the controller creates it anew`
  );
}

/** Services in dependency order (dependencies first); ties keep the file's order. */
export function serviceOrder(desired: DesiredFile): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, trail: ReadonlySet<string>): void => {
    if (seen.has(name) || trail.has(name)) return;
    const next = new Set(trail).add(name);
    for (const dependency of desired.services[name]?.depends_on ?? []) visit(dependency, next);
    seen.add(name);
    order.push(name);
  };
  for (const name of Object.keys(desired.services)) visit(name, new Set());
  return order;
}

export function plan(desired: DesiredFile, actual: ActualState, options: PlanOptions): Plan {
  const stack = desired.stack;
  const actions: Action[] = [];
  const byName = <T extends ActualObject>(objects: readonly T[]): Map<string, T> =>
    new Map(objects.map((object) => [object.name, object]));
  const networks = byName(actual.networks);
  const secrets = byName(actual.secrets);
  const services = byName(actual.services);
  const networkNames = new Map(actual.networks.map((network) => [network.id, network.name]));
  const secretIds = new Map(actual.secrets.map((secret) => [secret.name, secret.id]));

  const simple = (
    object: 'network' | 'secret',
    names: readonly string[],
    existing: Map<string, ActualObject>,
  ): void => {
    for (const name of names) {
      const full = objectName(stack, name);
      const found = existing.get(full);
      if (!found) actions.push({ kind: 'create', object, name, dependsOn: [] });
      else if (!isManaged(found.labels, stack)) {
        actions.push({
          kind: 'blocked',
          object,
          name,
          reason: `an unmanaged ${object} named ${full} exists`,
        });
      } else actions.push({ kind: 'noop', object, name });
    }
  };
  simple('network', Object.keys(desired.networks ?? {}), networks);
  simple('secret', Object.keys(desired.secrets ?? {}), secrets);

  for (const name of serviceOrder(desired)) {
    const full = objectName(stack, name);
    const found = services.get(full);
    const dependsOn = desired.services[name]?.depends_on ?? [];
    if (!found) {
      actions.push({ kind: 'create', object: 'service', name, dependsOn });
      continue;
    }
    if (!isManaged(found.labels, stack)) {
      actions.push({
        kind: 'blocked',
        object: 'service',
        name,
        reason: `an unmanaged service named ${full} exists`,
      });
      continue;
    }
    const want = buildServiceSpec(desired, name, secretIds, options.features);
    const modeChange = modeChangeReason(want, found.spec);
    if (modeChange !== undefined) {
      actions.push({ kind: 'blocked', object: 'service', name, reason: modeChange });
      continue;
    }
    const diffs = ownDiffs(
      diffSpecs(want, found.spec, { networkNames }),
      desired,
      name,
      options.heldReplicas,
    );
    if (diffs.length === 0) {
      actions.push({ kind: 'noop', object: 'service', name });
    } else if (found.updateState !== undefined && HANDS_OFF_STATES.has(found.updateState)) {
      actions.push({
        kind: 'blocked',
        object: 'service',
        name,
        reason: `its rolling update is ${found.updateState}; resume or roll back by hand, then the controller continues`,
      });
    } else {
      actions.push({
        kind: 'update',
        object: 'service',
        name,
        diffs,
        restartsTasks: restartsTasks(diffs),
        dependsOn,
      });
    }
  }

  if (desired.prune ?? true) {
    const prefix = `${stack}_`;
    const shortName = (full: string): string => full.slice(prefix.length);
    // Services go first so that the networks and secrets they hold can be removed after them.
    for (const service of actual.services) {
      if (isManaged(service.labels, stack) && !(shortName(service.name) in desired.services)) {
        actions.push({ kind: 'remove', object: 'service', name: shortName(service.name) });
      }
    }
    for (const [object, list, declared] of [
      ['network', actual.networks, desired.networks ?? {}],
      ['secret', actual.secrets, desired.secrets ?? {}],
    ] as const) {
      for (const item of list) {
        if (isManaged(item.labels, stack) && !(shortName(item.name) in declared)) {
          actions.push({ kind: 'remove', object, name: shortName(item.name) });
        }
      }
    }
  }
  return { actions };
}

export function pendingChanges(result: Plan): number {
  return result.actions.filter(
    (action) => action.kind === 'create' || action.kind === 'update' || action.kind === 'remove',
  ).length;
}

const show = (value: unknown): string => JSON.stringify(value);

/** The plan as text for `controller plan`: one line per action, one indented line per changed field. */
export function formatPlan(result: Plan, stack: string): string {
  const lines: string[] = [];
  for (const action of result.actions) {
    const full = objectName(stack, action.name);
    switch (action.kind) {
      case 'create':
        lines.push(`+ create ${action.object} ${full}`);
        break;
      case 'remove':
        lines.push(`- remove ${action.object} ${full}`);
        break;
      case 'update':
        lines.push(`~ update ${action.object} ${full}${action.restartsTasks ? '' : ' (no task restart)'}`);
        for (const diff of action.diffs)
          lines.push(`    ${diff.field}: ${show(diff.actual)} -> ${show(diff.desired)}`);
        break;
      case 'blocked':
        lines.push(`! blocked ${action.object} ${full}: ${action.reason}`);
        break;
      case 'noop':
        lines.push(`= unchanged ${action.object} ${full}`);
        break;
    }
  }
  const pending = pendingChanges(result);
  lines.push(pending === 0 ? 'No changes.' : `${pending} change(s) pending.`);
  return lines.join('\n');
}
