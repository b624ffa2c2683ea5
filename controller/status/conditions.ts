/**
 * Status conditions shaped as Kubernetes' metav1.Condition, the way Flux and controller-runtime report
 * them: a `Ready` condition always, `Reconciling` and `Stalled` only while they hold (kstatus's
 * "abnormal-true" conditions). Tools and people read `type`, `status` and `reason`; `message` is for
 * people; `observedGeneration` says which desired state the condition was judged against.
 */
export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** Why a condition is what it is: one CamelCase word, as Kubernetes reasons are. */
export type ConditionReason =
  /** Every task the desired state asks for runs. */
  | 'Succeeded'
  /** Written; tasks are still starting (or stopping). */
  | 'Progressing'
  /** Not written yet: a service it depends on has no task running. */
  | 'DependencyNotReady'
  /** The controller refuses to write: an unmanaged service holds the name, or an update is paused. */
  | 'Blocked'
  /** The last write failed; the controller backs off and tries again. */
  | 'ApplyFailed'
  /** The controller has not judged it yet. */
  | 'Pending'
  /** The desired-state file is invalid; the last good state is kept. */
  | 'InvalidDesiredState'
  /** A pass failed, or some of its writes did. */
  | 'PassFailed'
  /** A job's run failed every attempt its restart policy allows; it runs again when its spec changes. */
  | 'JobFailed';

export interface Condition {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: ConditionReason;
  readonly message: string;
  /** The generation of the desired state this was judged against; undefined before any was loaded. */
  readonly observedGeneration: number | undefined;
  /** When `status` last changed (ISO 8601). */
  readonly lastTransitionTime: string;
}

/** A condition as judged now, before its transition time is known. */
export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

/**
 * The next list of conditions: the ones judged now, each keeping its transition time while its status
 * stays the same. A type not judged now is gone (a cleared `Reconciling` or `Stalled`).
 */
export function updateConditions(
  previous: readonly Condition[],
  next: readonly ConditionUpdate[],
  now: Date = new Date(),
): Condition[] {
  return next.map((update) => {
    const before = previous.find((condition) => condition.type === update.type);
    const lastTransitionTime =
      before && before.status === update.status ? before.lastTransitionTime : now.toISOString();
    return { ...update, lastTransitionTime };
  });
}

/** How an object stands, in one of the three shapes kstatus knows. */
export type Standing =
  | { readonly kind: 'ready'; readonly message: string }
  | {
      readonly kind: 'reconciling';
      readonly reason: Extract<ConditionReason, 'Progressing' | 'DependencyNotReady' | 'Pending'>;
      readonly message: string;
    }
  | {
      readonly kind: 'stalled';
      readonly reason: Extract<
        ConditionReason,
        'Blocked' | 'ApplyFailed' | 'InvalidDesiredState' | 'PassFailed' | 'JobFailed'
      >;
      readonly message: string;
    };

/** The conditions of a standing: Ready, plus Reconciling or Stalled while one holds. */
export function conditionsOf(standing: Standing, observedGeneration: number | undefined): ConditionUpdate[] {
  const base = { message: standing.message, observedGeneration };
  switch (standing.kind) {
    case 'ready':
      return [{ ...base, type: 'Ready', status: 'True', reason: 'Succeeded' }];
    case 'reconciling':
      return [
        {
          ...base,
          type: 'Ready',
          status: standing.reason === 'Pending' ? 'Unknown' : 'False',
          reason: standing.reason,
        },
        { ...base, type: 'Reconciling', status: 'True', reason: standing.reason },
      ];
    case 'stalled':
      return [
        { ...base, type: 'Ready', status: 'False', reason: standing.reason },
        { ...base, type: 'Stalled', status: 'True', reason: standing.reason },
      ];
  }
}

/** The condition of a type that holds (status True), if any. */
export function holds(conditions: readonly Condition[], type: ConditionType): Condition | undefined {
  return conditions.find((condition) => condition.type === type && condition.status === 'True');
}
