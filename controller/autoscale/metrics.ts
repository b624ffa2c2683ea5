import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Evaluation } from './decide.js';

/** The autoscaler's metrics, on the controller's registry; names carry their units. */
export interface AutoscaleMetrics {
  readonly evaluations: Counter<'service' | 'mode' | 'direction'>;
  readonly scaleEvents: Counter<'service' | 'direction'>;
  readonly desired: Gauge<'service'>;
  readonly current: Gauge<'service'>;
  /** The policy's bounds, so that alerts and panels can tell a service pinned at its maximum. */
  readonly minReplicas: Gauge<'service'>;
  readonly maxReplicas: Gauge<'service'>;
  readonly checkValue: Gauge<'service' | 'check'>;
  readonly checkUp: Gauge<'service' | 'check'>;
  readonly checkFailures: Counter<'service' | 'check' | 'status'>;
  readonly consecutiveFailures: Gauge<'service'>;
  readonly fallback: Gauge<'service'>;
  readonly evaluationSeconds: Histogram<'service'>;
  readonly applyErrors: Counter<'service'>;
  readonly retiring: Gauge<'service'>;
  readonly retirements: Counter<'service' | 'outcome'>;
}

export function createAutoscaleMetrics(registry: Registry): AutoscaleMetrics {
  const registers = [registry];
  return {
    evaluations: new Counter({
      name: 'remcode_autoscale_evaluations_total',
      help: 'Autoscaler evaluations by mode (active, paused, held, dry_run) and resulting direction',
      labelNames: ['service', 'mode', 'direction'],
      registers,
    }),
    scaleEvents: new Counter({
      name: 'remcode_autoscale_scale_events_total',
      help: 'Replica changes the autoscaler applied, by direction',
      labelNames: ['service', 'direction'],
      registers,
    }),
    desired: new Gauge({
      name: 'remcode_autoscale_desired_replicas',
      help: 'Replicas the last evaluation asked for (what it would ask for in dry-run)',
      labelNames: ['service'],
      registers,
    }),
    current: new Gauge({
      name: 'remcode_autoscale_current_replicas',
      help: 'Replicas in the service spec at the last evaluation',
      labelNames: ['service'],
      registers,
    }),
    minReplicas: new Gauge({
      name: 'remcode_autoscale_min_replicas',
      help: "The autoscale policy's lower bound",
      labelNames: ['service'],
      registers,
    }),
    maxReplicas: new Gauge({
      name: 'remcode_autoscale_max_replicas',
      help: "The autoscale policy's upper bound",
      labelNames: ['service'],
      registers,
    }),
    checkValue: new Gauge({
      name: 'remcode_autoscale_check_value',
      help: 'Last value a check read (queue: jobs counted; Prometheus: the query result)',
      labelNames: ['service', 'check'],
      registers,
    }),
    checkUp: new Gauge({
      name: 'remcode_autoscale_check_up',
      help: '1 when the check read a value at the last evaluation, 0 when its source failed or had no data',
      labelNames: ['service', 'check'],
      registers,
    }),
    checkFailures: new Counter({
      name: 'remcode_autoscale_check_failures_total',
      help: 'Check readings that failed (error) or returned nothing (no_data)',
      labelNames: ['service', 'check', 'status'],
      registers,
    }),
    consecutiveFailures: new Gauge({
      name: 'remcode_autoscale_consecutive_failed_evaluations',
      help: 'Evaluations in a row with at least one failed check',
      labelNames: ['service'],
      registers,
    }),
    fallback: new Gauge({
      name: 'remcode_autoscale_fallback_active',
      help: '1 while the fallback replica count applies',
      labelNames: ['service'],
      registers,
    }),
    evaluationSeconds: new Histogram({
      name: 'remcode_autoscale_evaluation_duration_seconds',
      help: 'One evaluation: reading every check, deciding and applying',
      labelNames: ['service'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    applyErrors: new Counter({
      name: 'remcode_autoscale_apply_errors_total',
      help: 'Replica changes Docker refused or that failed',
      labelNames: ['service'],
      registers,
    }),
    retiring: new Gauge({
      name: 'remcode_autoscale_retiring_executors',
      help: 'Executors asked to finish their runs and exit before the replica count goes down',
      labelNames: ['service'],
      registers,
    }),
    retirements: new Counter({
      name: 'remcode_autoscale_retirements_total',
      help: 'Executor retirements by outcome (exited, abandoned when load came back or the wait ran out)',
      labelNames: ['service', 'outcome'],
      registers,
    }),
  };
}

/**
 * Runs cut short by an executor leaving, by cause; read from Redis at each scrape because the executors
 * that count them are gone by then. Scale-in through retirement should keep `retire` at 0; `stop` counts
 * tasks Swarm stopped with runs longer than the executor's stop grace.
 */
export function registerInterruptedRuns(
  registry: Registry,
  read: () => Promise<Record<string, number>>,
): void {
  new Counter({
    name: 'remcode_runs_interrupted_total',
    help: 'Runs an executor handed back unfinished because it was leaving, by cause (retire, stop)',
    labelNames: ['cause'],
    registers: [registry],
    async collect() {
      // An unreadable Redis leaves the series out rather than reporting zero.
      const counts = await read().catch(() => undefined);
      this.reset();
      if (!counts) return;
      for (const cause of ['retire', 'stop']) this.inc({ cause }, counts[cause] ?? 0);
    },
  });
}

export function recordEvaluation(
  metrics: AutoscaleMetrics,
  service: string,
  evaluation: Evaluation,
  bounds: { readonly min: number; readonly max: number },
): void {
  metrics.evaluations.inc({ service, mode: evaluation.mode, direction: evaluation.direction });
  metrics.minReplicas.set({ service }, bounds.min);
  metrics.maxReplicas.set({ service }, bounds.max);
  metrics.desired.set({ service }, evaluation.desired);
  metrics.current.set({ service }, evaluation.current);
  metrics.consecutiveFailures.set({ service }, evaluation.failures);
  metrics.fallback.set({ service }, evaluation.fallback ? 1 : 0);
  for (const check of evaluation.checks) {
    const labels = { service, check: check.name };
    metrics.checkUp.set(labels, check.status === 'ok' ? 1 : 0);
    if (check.value !== undefined) metrics.checkValue.set(labels, check.value);
    if (check.status !== 'ok') metrics.checkFailures.inc({ ...labels, status: check.status });
  }
}
