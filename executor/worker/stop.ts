/** An executor leaves because the autoscaler retired it, or because it was stopped (SIGTERM). */
export type LeaveCause = 'retire' | 'stop';

/**
 * Why a run was stopped before its result: cancelled by the submitter, the executor shutting down, the
 * claim finding the submission deleted or finished (`gone`), or the claim itself failing (`unclaimed`).
 */
export type StopReason = 'cancelled' | 'shutdown' | 'gone' | 'unclaimed';

/** Thrown through a job's steps when it stops before its result; the job runner decides what follows. */
export class StopSignal extends Error {
  override readonly name = 'StopSignal';
  constructor(readonly reason: StopReason) {
    super(reason);
  }
}
