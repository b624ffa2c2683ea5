import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createRegistry } from '../../common/metrics.js';

/** The controller's metrics on its own registry; names carry their units. */
export interface ControllerMetrics {
  readonly registry: Registry;
  readonly passes: Counter<'result'>;
  readonly passSeconds: Histogram;
  readonly actions: Counter<'kind' | 'object'>;
  readonly drift: Counter<'service' | 'field'>;
  readonly errors: Counter<'object'>;
  readonly conflicts: Counter;
  readonly blocked: Counter<'object'>;
  readonly invalidFiles: Counter;
  readonly generation: Gauge;
  readonly replicas: Gauge<'service' | 'kind'>;
  /** 1 while a service is stalled by a paused or rolling-back update or an unmanaged name clash. */
  readonly alerts: Gauge<'service'>;
  /** 1 for the state a job's current run is in (pending, running, complete, failed), 0 for the others. */
  readonly jobState: Gauge<'service' | 'state'>;
  readonly jobFailedTasks: Counter<'service'>;
}

/** On the process's registry; tests that build several controllers give each its own. */
export function createControllerMetrics(
  registry: Registry = createRegistry('controller'),
): ControllerMetrics {
  const registers = [registry];
  return {
    registry,
    passes: new Counter({
      name: 'remcode_controller_reconcile_passes_total',
      help: 'Reconcile passes by result (ok, partial, error, invalid)',
      labelNames: ['result'],
      registers,
    }),
    passSeconds: new Histogram({
      name: 'remcode_controller_reconcile_duration_seconds',
      help: 'Duration of one reconcile pass',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    actions: new Counter({
      name: 'remcode_controller_actions_total',
      help: 'Objects created, updated or removed',
      labelNames: ['kind', 'object'],
      registers,
    }),
    drift: new Counter({
      name: 'remcode_controller_drift_corrections_total',
      help: 'Fields of managed services changed outside the controller and put back',
      labelNames: ['service', 'field'],
      registers,
    }),
    errors: new Counter({
      name: 'remcode_controller_apply_errors_total',
      help: 'Docker API errors while applying, per object kind',
      labelNames: ['object'],
      registers,
    }),
    conflicts: new Counter({
      name: 'remcode_controller_update_conflicts_total',
      help: 'Service updates refused as out of sequence and retried',
      registers,
    }),
    blocked: new Counter({
      name: 'remcode_controller_blocked_actions_total',
      help: 'Actions not applied because an unmanaged object holds the name or an update is paused',
      labelNames: ['object'],
      registers,
    }),
    invalidFiles: new Counter({
      name: 'remcode_controller_invalid_desired_total',
      help: 'Loads of the desired-state file rejected as invalid',
      registers,
    }),
    generation: new Gauge({
      name: 'remcode_controller_desired_generation',
      help: 'Generation of the desired state being applied',
      registers,
    }),
    replicas: new Gauge({
      name: 'remcode_controller_service_replicas',
      help: 'Desired and running replicas per service',
      labelNames: ['service', 'kind'],
      registers,
    }),
    alerts: new Gauge({
      name: 'remcode_controller_service_stalled',
      help: '1 while the controller refuses to touch a service (paused or rolling back update, name clash)',
      labelNames: ['service'],
      registers,
    }),
    jobState: new Gauge({
      name: 'remcode_controller_job_state',
      help: "1 for the state of a job service's current run (pending, running, complete, failed)",
      labelNames: ['service', 'state'],
      registers,
    }),
    jobFailedTasks: new Counter({
      name: 'remcode_controller_job_failed_tasks_total',
      help: 'Tasks of job services seen failed (each retried by its restart policy until the run fails)',
      labelNames: ['service'],
      registers,
    }),
  };
}
