import type pg from 'pg';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '../common/metrics.js';
import type { ClusterStats } from './pools/queue-monitor.js';

/** Every metric a webapp process exposes, created in one place so that their names are one list. */
export interface WebappMetrics {
  readonly httpRequestSeconds: Histogram<'method' | 'route' | 'status'>;
  readonly submissionsCreated: Counter;
  /** By reason: `queue_full` or the problem code of an invalid submission. */
  readonly submissionsRejected: Counter<'reason'>;
  readonly eventStreamsOpen: Gauge;
}

/** What the gauges read at scrape time, so that no code path has to remember to update them. */
export interface WebappMetricSources {
  /** The queue and executor figures, as the queue monitor last read them. */
  readonly clusterStats: () => ClusterStats;
  /** Submissions with a request waiting on them. */
  readonly waitingRequests: () => number;
  /** Asked for the database's size. */
  readonly pool: pg.Pool;
}

export function createWebappMetrics(registry: Registry, sources: WebappMetricSources): WebappMetrics {
  const registers = [registry];
  const stats = sources.clusterStats;
  new Gauge({
    name: 'remcode_queue_depth',
    help: 'Submissions waiting for an executor',
    registers,
    collect() {
      this.set(stats().depth);
    },
  });
  new Gauge({
    name: 'remcode_queue_oldest_job_age_seconds',
    help: 'Age of the oldest waiting submission',
    registers,
    collect() {
      this.set(stats().oldestAgeSeconds);
    },
  });
  new Gauge({
    name: 'remcode_queue_active_jobs',
    help: 'Submissions held by executors',
    registers,
    collect() {
      this.set(stats().active);
    },
  });
  new Gauge({
    name: 'remcode_executors_online',
    help: 'Executors with a live heartbeat',
    registers,
    collect() {
      this.set(stats().executorsOnline);
    },
  });
  new Gauge({
    name: 'remcode_database_size_bytes',
    help: 'Size of the Postgres database on disk, as Postgres reports it',
    registers,
    async collect() {
      try {
        const { rows } = await sources.pool.query<{ bytes: string }>(
          'SELECT pg_database_size(current_database()) AS bytes',
        );
        this.set(Number(rows[0]?.bytes ?? 0));
      } catch {
        // The scrape keeps the last reading; /readyz is where an unreachable Postgres shows.
      }
    },
  });
  new Gauge({
    name: 'remcode_wait_requests',
    help: 'Submissions with a request waiting on them (wait=true or event streams)',
    registers,
    collect() {
      this.set(sources.waitingRequests());
    },
  });
  return {
    httpRequestSeconds: new Histogram({
      name: 'remcode_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    submissionsCreated: new Counter({
      name: 'remcode_submissions_created_total',
      help: 'Submissions accepted by the API',
      registers,
    }),
    submissionsRejected: new Counter({
      name: 'remcode_submissions_rejected_total',
      help: 'Submissions refused, by reason: queue_full (503) or the problem code of an invalid submission (4xx)',
      labelNames: ['reason'] as const,
      registers,
    }),
    eventStreamsOpen: new Gauge({
      name: 'remcode_event_streams_open',
      help: 'Server-Sent Event streams of submissions open now',
      registers,
    }),
  };
}
