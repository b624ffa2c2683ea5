/**
 * The guard between the autoscaler and the rebalancer: both change replica counts, so the rebalancer
 * leaves a service alone while the autoscaler is retiring executors of it or has just changed its
 * count (its next evaluation may still be reacting to that change). The shape is structural so the
 * rebalancer depends on what the autoscaler reports, not on its internals.
 */
export interface AutoscaleActivity {
  readonly service: string;
  /** A scale-in in progress; `by` names the part that began it. */
  readonly scaleIn: object | null | undefined;
  /** Newest first. */
  readonly evaluations: readonly { readonly at: number; readonly apply: boolean }[];
}

/** How long after an applied scaling step the rebalancer keeps off the service. */
export const AUTOSCALE_QUIET_MS = 30_000;

export function autoscalerBusy(
  activity: readonly AutoscaleActivity[],
  service: string,
  now: number,
  quietMs: number = AUTOSCALE_QUIET_MS,
): string | undefined {
  const entry = activity.find((item) => item.service === service);
  if (!entry) return undefined;
  // A scale-in the rebalancer began is the scale-down of its own move, not the autoscaler at work.
  const scaleIn = entry.scaleIn;
  if (scaleIn !== undefined && scaleIn !== null && !('by' in scaleIn && scaleIn.by === 'rebalancer')) {
    return 'the autoscaler is retiring executors of this service';
  }
  const applied = entry.evaluations.find((evaluation) => evaluation.apply);
  if (applied && now - applied.at < quietMs) {
    return `the autoscaler changed its replicas ${Math.round((now - applied.at) / 1000)} s ago`;
  }
  return undefined;
}
