/**
 * The rebalancing policy of one service, parsed from the desired-state file with every default filled
 * in. The defaults live here and nowhere else; docs/operations.md lists them.
 */
import { parseDurationMs } from '../../common/units.js';
import type { RebalanceDef } from '../desired/schema.js';

export type RebalanceMode = 'automatic' | 'off' | 'window';

export interface RebalancePolicy {
  readonly mode: RebalanceMode;
  /** Largest difference in running tasks between two eligible nodes that is left alone. */
  readonly maxSkew: number;
  /** Minutes after midnight UTC; present when `mode` is `window`. */
  readonly window: { readonly startMinute: number; readonly endMinute: number } | undefined;
  /** Least time between the starts of two moves of the same service. */
  readonly intervalMs: number;
  /** How long the extra task may take to run healthy before the move is given up. */
  readonly healthTimeoutMs: number;
  readonly dryRun: boolean;
}

export const REBALANCE_DEFAULTS = {
  mode: 'automatic',
  maxSkew: 1,
  // One move every 10 s per service spreads 6 tasks stuck on two of three nodes in well under a minute,
  // while the scheduler and the healthchecks keep up.
  intervalMs: 10_000,
  healthTimeoutMs: 120_000,
  dryRun: false,
  // A move that left the spread as it was is not retried at once: the scheduler put the new task where
  // the old one was (a constraint or preference we do not model), and retrying would loop.
  noProgressBackoffMs: 300_000,
} as const;

function minuteOfDay(value: string): number {
  const [hours = '0', minutes = '0'] = value.split(':');
  return Number(hours) * 60 + Number(minutes);
}

/** Fills in defaults; call only on a policy that passed the desired-state validation. */
export function parseRebalancePolicy(def: RebalanceDef | undefined): RebalancePolicy {
  return {
    mode: def?.mode ?? REBALANCE_DEFAULTS.mode,
    maxSkew: def?.max_skew ?? REBALANCE_DEFAULTS.maxSkew,
    window: def?.window
      ? { startMinute: minuteOfDay(def.window.start), endMinute: minuteOfDay(def.window.end) }
      : undefined,
    intervalMs:
      def?.interval !== undefined ? parseDurationMs(def.interval, 'interval') : REBALANCE_DEFAULTS.intervalMs,
    healthTimeoutMs:
      def?.health_timeout !== undefined
        ? parseDurationMs(def.health_timeout, 'health_timeout')
        : REBALANCE_DEFAULTS.healthTimeoutMs,
    dryRun: def?.dry_run ?? REBALANCE_DEFAULTS.dryRun,
  };
}

/** Problems the schema cannot express, as (path below `rebalance`, message) pairs. */
export function rebalanceIssues(def: RebalanceDef): { readonly path: string; readonly message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (def.mode === 'window' && def.window === undefined) {
    issues.push({ path: 'window', message: 'mode window needs a window: { start: "HH:MM", end: "HH:MM" }' });
  }
  if (def.window !== undefined && def.mode !== 'window') {
    issues.push({ path: 'window', message: 'a window applies only with mode: window' });
  }
  if (def.window !== undefined && def.window.start === def.window.end) {
    issues.push({ path: 'window/end', message: 'the window is empty: start and end are the same time' });
  }
  return issues;
}

/** Whether `now` lies inside the daily window; a window whose end is before its start wraps midnight. */
export function insideWindow(window: NonNullable<RebalancePolicy['window']>, now: number): boolean {
  const date = new Date(now);
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes();
  const { startMinute, endMinute } = window;
  return startMinute < endMinute
    ? minute >= startMinute && minute < endMinute
    : minute >= startMinute || minute < endMinute;
}
