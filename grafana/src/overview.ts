import type { DashboardDef } from './model.js';

const SUBMIT = 'method="POST",route="/api/v1/submissions"';

/** The edge's frontend for client traffic and its backend of webapp tasks (manifests/images/edge/haproxy.cfg). */
const EDGE_FRONTEND = 'proxy="http"';
const EDGE_BACKEND = 'proxy="webapp"';

const latency = (q: number): string =>
  `histogram_quantile(${q}, sum by (le) (rate(remcode_http_request_duration_seconds_bucket{${SUBMIT}}[5m])))`;

/** The first page an operator opens: is work coming in, getting done, and how long does it take. */
export const overview: DashboardDef = {
  uid: 'remcode-overview',
  title: 'RemCode: platform overview',
  description: 'Load, latency, queue, executors and errors of the whole platform.',
  rows: [
    {
      title: 'Load',
      panels: [
        {
          title: 'Submissions finished per second, by verdict',
          description:
            'Every verdict is a finished run: accepted, wrong_answer, compile_error, time and memory limits are the programs\u2019 own results; internal_error is the platform\u2019s failure.',
          unit: 'ops',
          width: 12,
          stacked: true,
          queries: [{ expr: 'sum by (verdict) (rate(remcode_submissions_total[1m]))', legend: '{{verdict}}' }],
        },
        {
          title: 'Submissions accepted and refused per second',
          description:
            'Accepted: stored and queued by a webapp. Refused, by reason: queue_full (503, more than REMCODE_QUEUE_MAX waiting) or the code of an invalid submission (422).',
          unit: 'ops',
          width: 12,
          queries: [
            { expr: 'sum(rate(remcode_submissions_created_total[1m]))', legend: 'accepted' },
            {
              expr: 'sum by (reason) (rate(remcode_submissions_rejected_total[1m]))',
              legend: 'refused: {{reason}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Latency',
      panels: [
        {
          title: 'Submit latency (wait=true answers the result)',
          description:
            'POST /api/v1/submissions as the client sees it: with ?wait=true this is submission to result, end to end.',
          unit: 's',
          width: 12,
          queries: [
            { expr: latency(0.5), legend: 'p50' },
            { expr: latency(0.95), legend: 'p95' },
            { expr: latency(0.99), legend: 'p99' },
          ],
        },
        {
          title: 'Queue wait and run time, p95',
          description:
            'Where the end-to-end time goes: waiting for a free slot, then compiling and running every test case.',
          unit: 's',
          width: 12,
          queries: [
            {
              expr: 'histogram_quantile(0.95, sum by (le) (rate(remcode_queue_wait_seconds_bucket[5m])))',
              legend: 'queue wait',
            },
            {
              expr: 'histogram_quantile(0.95, sum by (le) (rate(remcode_run_duration_seconds_bucket[5m])))',
              legend: 'run',
            },
          ],
        },
      ],
    },
    {
      title: 'Queue and capacity',
      panels: [
        {
          title: 'Queue: waiting and running',
          description: 'Submissions waiting for a slot, and those an executor holds now.',
          unit: 'short',
          width: 8,
          min: 0,
          queries: [
            { expr: 'max(remcode_queue_depth)', legend: 'waiting' },
            { expr: 'max(remcode_queue_active_jobs)', legend: 'running' },
          ],
        },
        {
          title: 'Oldest waiting submission',
          description: 'Age of the submission that has waited longest; RemcodeOldestJobTooOld fires above 60 s.',
          unit: 's',
          width: 8,
          min: 0,
          queries: [{ expr: 'max(remcode_queue_oldest_job_age_seconds)', legend: 'oldest' }],
        },
        {
          title: 'Executors and slots',
          description: 'Executors with a live heartbeat, and their slots in use and free.',
          unit: 'short',
          width: 8,
          min: 0,
          queries: [
            { expr: 'max(remcode_executors_online)', legend: 'executors online' },
            { expr: 'sum(remcode_executor_busy_slots)', legend: 'busy slots' },
            { expr: 'sum(remcode_executor_free_slots)', legend: 'free slots' },
          ],
        },
      ],
    },
    {
      title: 'Edge',
      panels: [
        {
          title: 'Requests through the edge per second, by status class',
          description:
            'Answers the edge sent to clients, including its own 503 when no webapp is ready. RemcodeEdgeServerErrors fires when 5xx pass 5 %.',
          unit: 'reqps',
          width: 8,
          stacked: true,
          queries: [
            {
              expr: `sum by (code) (rate(haproxy_frontend_http_responses_total{${EDGE_FRONTEND}}[1m]))`,
              legend: '{{code}}',
            },
          ],
        },
        {
          title: 'Edge response time (mean of the last 1024 requests)',
          description:
            'As HAProxy measures it per backend: time to the response headers, and the whole request (wait=true answers and event streams make it long).',
          unit: 's',
          width: 8,
          min: 0,
          queries: [
            {
              expr: `max(haproxy_backend_response_time_average_seconds{${EDGE_BACKEND}})`,
              legend: 'response headers',
            },
            { expr: `max(haproxy_backend_total_time_average_seconds{${EDGE_BACKEND}})`, legend: 'total' },
          ],
        },
        {
          title: 'Webapp servers up behind the edge',
          description:
            'Webapp tasks passing the edge\u2019s /readyz check, per edge task. RemcodeEdgeNoWebapp fires at 0.',
          unit: 'short',
          width: 8,
          min: 0,
          queries: [
            {
              expr: `min by (instance) (haproxy_backend_active_servers{${EDGE_BACKEND}})`,
              legend: '{{instance}}',
            },
          ],
        },
        {
          title: 'Edge connection errors and redispatches per second',
          description:
            'Connections to a webapp that failed, and requests the edge sent again (GET and HEAD only), to another server where one was up. Bursts come with a task that vanished between two checks.',
          unit: 'ops',
          width: 12,
          min: 0,
          queries: [
            {
              expr: `sum(rate(haproxy_backend_connection_errors_total{${EDGE_BACKEND}}[1m]))`,
              legend: 'connection errors',
            },
            {
              expr: `sum(rate(haproxy_backend_retry_warnings_total{${EDGE_BACKEND}}[1m]) + rate(haproxy_backend_redispatch_warnings_total{${EDGE_BACKEND}}[1m]))`,
              legend: 'retried or redispatched',
            },
          ],
        },
        {
          title: 'Open sessions at the edge',
          description:
            'Client connections open on the edge, and those it holds to webapps (event streams and waits hold theirs for seconds to minutes).',
          unit: 'short',
          width: 12,
          min: 0,
          queries: [
            { expr: `sum(haproxy_frontend_current_sessions{${EDGE_FRONTEND}})`, legend: 'clients' },
            { expr: `sum(haproxy_backend_current_sessions{${EDGE_BACKEND}})`, legend: 'to webapps' },
          ],
        },
      ],
    },
    {
      title: 'Services and errors',
      panels: [
        {
          title: 'Replicas desired and running, per service',
          description: 'What the desired-state file asks for against the tasks Swarm runs, as the controller sees them.',
          unit: 'short',
          width: 12,
          min: 0,
          queries: [
            {
              expr: 'max by (service) (remcode_controller_service_replicas{kind="desired"})',
              legend: '{{service}} desired',
            },
            {
              expr: 'max by (service) (remcode_controller_service_replicas{kind="running"})',
              legend: '{{service}} running',
            },
          ],
        },
        {
          title: 'Clients waiting on results',
          description:
            'Event streams open (GET .../events) and submissions with a request waiting on them (?wait=true or a stream).',
          unit: 'short',
          width: 12,
          min: 0,
          queries: [
            { expr: 'sum(remcode_event_streams_open)', legend: 'event streams' },
            { expr: 'sum(remcode_wait_requests)', legend: 'waiting submissions' },
          ],
        },
        {
          title: 'Postgres database size',
          description:
            'As Postgres reports it. RemcodeDatabaseFilling fires when three more days at the rate of the last six hours would pass its budget.',
          unit: 'bytes',
          width: 12,
          queries: [{ expr: 'max(remcode_database_size_bytes)', legend: 'database' }],
        },
        {
          title: 'API errors per second, by status',
          description:
            'Answers of 400 and above. 4xx are callers\u2019 mistakes (422 names the field); 5xx are the platform\u2019s, and RemcodeHttpServerErrors fires above 2 %.',
          unit: 'reqps',
          width: 12,
          stacked: true,
          queries: [
            {
              expr: 'sum by (status, route) (rate(remcode_http_request_duration_seconds_count{status=~"[45].."}[1m]))',
              legend: '{{status}} {{route}}',
            },
          ],
        },
      ],
    },
  ],
};
