/**
 * The autoscaling policy of one service, parsed from the desired-state file with every default filled
 * in. The defaults live here and nowhere else; docs/autoscaling.md lists them.
 */
import { parseDurationMs } from '../../common/units.js';
import type { AutoscaleCheckDef, AutoscaleDef } from '../desired/schema.js';

export interface DirectionPolicy {
  /** Recommendations this far back are kept and the most cautious one applies. */
  readonly stabilizationMs: number;
  readonly maxReplicas: number;
  /** Percent of the current replicas; the larger of the two limits applies. */
  readonly maxPercent: number;
  readonly periodMs: number;
}

export type CheckPolicy =
  | {
      readonly name: string;
      readonly source: 'queue';
      /** Jobs per replica; undefined: the executors' announced slots. */
      readonly perReplica: number | undefined;
      /** An oldest waiting job older than this asks for one more replica; undefined: not checked. */
      readonly maxWaitMs: number | undefined;
      readonly activation: number;
    }
  | {
      readonly name: string;
      readonly source: 'prometheus';
      readonly query: string;
      /** undefined: the controller's configured Prometheus. */
      readonly url: string | undefined;
      readonly mode:
        | { readonly kind: 'target'; readonly target: number }
        | {
            readonly kind: 'thresholds';
            readonly lower: number | undefined;
            readonly upper: number | undefined;
          };
      readonly activation: number;
    };

export interface AutoscalePolicy {
  readonly min: number;
  readonly max: number;
  readonly intervalMs: number;
  readonly tolerance: number;
  readonly scaleUp: DirectionPolicy;
  readonly scaleDown: DirectionPolicy;
  readonly fallback: { readonly after: number; readonly replicas: number } | undefined;
  readonly paused: boolean;
  readonly dryRun: boolean;
  readonly checks: readonly CheckPolicy[];
}

export const AUTOSCALE_DEFAULTS = {
  intervalMs: 2_000,
  tolerance: 0.1,
  // Starting an executor costs seconds, an idle one costs memory: wake fast, release after a minute.
  scaleUp: { stabilizationMs: 0, maxReplicas: 4, maxPercent: 100, periodMs: 15_000 },
  scaleDown: { stabilizationMs: 60_000, maxReplicas: 1000, maxPercent: 100, periodMs: 15_000 },
  queueActivation: 1,
  prometheusActivation: 0,
} as const;

function direction(def: AutoscaleDef['scale_up'], defaults: DirectionPolicy, field: string): DirectionPolicy {
  return {
    stabilizationMs:
      def?.stabilization !== undefined
        ? parseDurationMs(def.stabilization, `${field}.stabilization`)
        : defaults.stabilizationMs,
    // One limit given means only that limit: a default for the other would silently loosen it.
    maxReplicas: def?.max_replicas ?? (def?.max_percent !== undefined ? 0 : defaults.maxReplicas),
    maxPercent: def?.max_percent ?? (def?.max_replicas !== undefined ? 0 : defaults.maxPercent),
    periodMs: def?.period !== undefined ? parseDurationMs(def.period, `${field}.period`) : defaults.periodMs,
  };
}

function check(name: string, def: AutoscaleCheckDef): CheckPolicy {
  if (def.queue) {
    const queue = def.queue;
    return {
      name,
      source: 'queue',
      perReplica: queue.per_replica,
      maxWaitMs: queue.max_wait !== undefined ? parseDurationMs(queue.max_wait, 'max_wait') : undefined,
      activation: queue.activation ?? AUTOSCALE_DEFAULTS.queueActivation,
    };
  }
  const prometheus = def.prometheus;
  // The file's validation guarantees exactly one source; this only satisfies the type checker.
  if (!prometheus) throw new Error(`check ${name} has no source`);
  return {
    name,
    source: 'prometheus',
    query: prometheus.query,
    url: prometheus.url,
    mode:
      prometheus.target !== undefined
        ? { kind: 'target', target: prometheus.target }
        : { kind: 'thresholds', lower: prometheus.lower, upper: prometheus.upper },
    activation: prometheus.activation ?? AUTOSCALE_DEFAULTS.prometheusActivation,
  };
}

/** Fills in defaults; call only on a policy that passed the desired-state validation. */
export function parsePolicy(def: AutoscaleDef): AutoscalePolicy {
  return {
    min: def.min,
    max: def.max,
    intervalMs:
      def.interval !== undefined ? parseDurationMs(def.interval, 'interval') : AUTOSCALE_DEFAULTS.intervalMs,
    tolerance: def.tolerance ?? AUTOSCALE_DEFAULTS.tolerance,
    scaleUp: direction(def.scale_up, AUTOSCALE_DEFAULTS.scaleUp, 'scale_up'),
    scaleDown: direction(def.scale_down, AUTOSCALE_DEFAULTS.scaleDown, 'scale_down'),
    fallback: def.fallback ? { after: def.fallback.after, replicas: def.fallback.replicas } : undefined,
    paused: def.paused ?? false,
    dryRun: def.dry_run ?? false,
    checks: Object.entries(def.checks).map(([name, value]) => check(name, value)),
  };
}

/** Problems the schema cannot express, as (path below `autoscale`, message) pairs. */
export function policyIssues(def: AutoscaleDef): { readonly path: string; readonly message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (def.min > def.max) issues.push({ path: 'min', message: `min ${def.min} is above max ${def.max}` });
  if (def.interval !== undefined && parseDurationMs(def.interval) < 100) {
    issues.push({ path: 'interval', message: 'an interval below 100ms would only load Docker and Redis' });
  }
  if (Object.keys(def.checks).length === 0) {
    issues.push({ path: 'checks', message: 'a policy needs at least one check' });
  }
  if (def.fallback && (def.fallback.replicas < def.min || def.fallback.replicas > def.max)) {
    issues.push({
      path: 'fallback/replicas',
      message: `the fallback must lie within min ${def.min} and max ${def.max}`,
    });
  }
  for (const [name, value] of Object.entries(def.checks)) {
    const at = `checks/${name}`;
    if ((value.queue === undefined) === (value.prometheus === undefined)) {
      issues.push({ path: at, message: 'a check needs exactly one of "queue" or "prometheus"' });
      continue;
    }
    const prometheus = value.prometheus;
    if (!prometheus) continue;
    const thresholds = prometheus.lower !== undefined || prometheus.upper !== undefined;
    if ((prometheus.target !== undefined) === thresholds) {
      issues.push({
        path: `${at}/prometheus`,
        message: 'a Prometheus check needs either "target" or "lower"/"upper", not both',
      });
    } else if (
      prometheus.lower !== undefined &&
      prometheus.upper !== undefined &&
      prometheus.lower >= prometheus.upper
    ) {
      issues.push({ path: `${at}/prometheus/lower`, message: 'lower must be below upper' });
    }
  }
  return issues;
}
