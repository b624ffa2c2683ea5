import type { DashboardDef } from './model.js';

/** What the controller did to the cluster, and why: passes, changes, drift it put back, nodes. */
export const controller: DashboardDef = {
  uid: 'remcode-controller',
  title: 'RemCode: controller',
  description:
    'Reconcile passes, the changes they made, drift put back, scaling decisions, rebalancing moves, replicas and Swarm nodes.',
  annotations: [
    {
      name: 'Service changes',
      expr: 'sum by (kind, object) (increase(remcode_controller_actions_total[1m])) > 0',
      title: 'controller: {{kind}} {{object}}',
      text: 'objects created, updated or removed by the controller',
      color: 'blue',
    },
    {
      name: 'Scaling decisions',
      expr: 'sum by (service, direction) (increase(remcode_autoscale_scale_events_total[1m])) > 0',
      title: 'autoscaler: {{service}} {{direction}}',
      text: 'the autoscaler changed the replica count; the controller\u2019s /status has the reason',
      color: 'purple',
    },
    {
      name: 'Rebalancing moves',
      expr: 'sum by (service, result) (increase(remcode_rebalance_moves_total[1m])) > 0',
      title: 'rebalancer: {{service}} {{result}}',
      text: 'the rebalancer moved one task (scale up by one, then retire or remove one on the fullest node)',
      color: 'green',
    },
    {
      name: 'Drift put back',
      expr: 'sum by (service, field) (increase(remcode_controller_drift_corrections_total[1m])) > 0',
      title: 'drift corrected: {{service}} {{field}}',
      text: 'a field changed outside the controller was put back',
      color: 'orange',
    },
  ],
  rows: [
    {
      title: 'Reconcile',
      panels: [
        {
          title: 'Reconcile passes per second, by result',
          description:
            'ok: converged or converging; partial: some actions failed or wait; error: the pass failed; invalid: the desired-state file was refused.',
          unit: 'ops',
          width: 8,
          stacked: true,
          queries: [
            {
              expr: 'sum by (result) (rate(remcode_controller_reconcile_passes_total[1m]))',
              legend: '{{result}}',
            },
          ],
        },
        {
          title: 'Pass duration',
          description: 'One pass reads the Swarm, plans, and applies every action.',
          unit: 's',
          width: 8,
          queries: [
            {
              expr: 'sum(rate(remcode_controller_reconcile_duration_seconds_sum[5m])) / sum(rate(remcode_controller_reconcile_duration_seconds_count[5m]))',
              legend: 'mean',
            },
            {
              expr: 'histogram_quantile(0.95, sum by (le) (rate(remcode_controller_reconcile_duration_seconds_bucket[5m])))',
              legend: 'p95',
            },
          ],
        },
        {
          title: 'Desired-state file: generation and refusals',
          description:
            'The generation rises with each accepted edit; a refused file (schema errors) keeps the last good one applied.',
          unit: 'short',
          width: 8,
          queries: [
            { expr: 'max(remcode_controller_desired_generation)', legend: 'generation' },
            { expr: 'sum(increase(remcode_controller_invalid_desired_total[5m]))', legend: 'refused in 5m' },
          ],
        },
      ],
    },
    {
      title: 'Changes',
      panels: [
        {
          title: 'Objects changed in 5 minutes, by action',
          description: 'Services, networks and secrets the controller created, updated or removed.',
          unit: 'short',
          width: 12,
          queries: [
            {
              expr: 'sum by (kind, object) (increase(remcode_controller_actions_total[5m]))',
              legend: '{{kind}} {{object}}',
            },
          ],
        },
        {
          title: 'Drift put back since the controller started, by service and field',
          description:
            'Someone (or something) changed a managed service by hand; the controller restored the file\u2019s value. A running total: each step up is one correction (a rate would miss the first one of each series).',
          unit: 'short',
          width: 12,
          queries: [
            {
              expr: 'sum by (service, field) (remcode_controller_drift_corrections_total)',
              legend: '{{service}} {{field}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Autoscaler',
      panels: [
        {
          title: 'Replicas the autoscaler asks for and has, per service',
          description:
            'Desired: what the last evaluation asked for (within min and max, after stabilization and step limits). Current: the count in the service spec.',
          unit: 'short',
          width: 8,
          min: 0,
          queries: [
            { expr: 'max by (service) (remcode_autoscale_desired_replicas)', legend: '{{service}} desired' },
            { expr: 'max by (service) (remcode_autoscale_current_replicas)', legend: '{{service}} current' },
          ],
        },
        {
          title: 'What the checks read',
          description: 'The last value of each check: jobs counted for a queue check, the query result for a Prometheus check.',
          unit: 'short',
          width: 8,
          queries: [
            { expr: 'max by (service, check) (remcode_autoscale_check_value)', legend: '{{service}} {{check}}' },
          ],
        },
        {
          title: 'Scaling decisions since the controller started',
          description:
            'Replica changes applied, by direction; a running total, so each step up is one decision (the annotations mark them on every panel).',
          unit: 'short',
          width: 8,
          queries: [
            {
              expr: 'sum by (service, direction) (remcode_autoscale_scale_events_total)',
              legend: '{{service}} {{direction}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Rebalancer',
      panels: [
        {
          title: 'Skew and moves needed, per service',
          description:
            'Skew: most minus fewest running tasks over the nodes the service may use. Moves needed: single-task moves that bring it within max_skew. Both rise when a node returns empty and fall as the rebalancer moves tasks.',
          unit: 'short',
          width: 8,
          min: 0,
          queries: [
            {
              expr: 'max by (service) (remcode_rebalance_skew_tasks)',
              legend: '{{service}} skew',
              steady: 'the spread changes only when a node fails or returns; the test shares its only node',
            },
            {
              expr: 'max by (service) (remcode_rebalance_moves_needed)',
              legend: '{{service}} moves needed',
              steady: 'as the skew: a single node never needs a move',
            },
          ],
        },
        {
          title: 'Moves since the controller started, by result',
          description:
            'moved: one task went to an emptier node; no_progress: the scheduler placed it where it did no good (undone, backing off); failed: the extra task never ran healthy, or an executor would not retire; aborted: the count changed meanwhile or the controller stopped. A running total: each step up is one move.',
          unit: 'short',
          width: 8,
          min: 0,
          queries: [
            {
              expr: 'sum by (service, result) (remcode_rebalance_moves_total)',
              legend: '{{service}} {{result}}',
              steady: 'moves happen only after a node returns; the test shares its only node',
            },
          ],
        },
        {
          title: 'Moves held back, per service',
          description:
            'Moves a skewed service needs that the rebalancer does not make now: outside its window, rate limit or back-off, the autoscaler acting on it, a rolling update, tasks still starting, or a dry run. The controller’s /status names the reason.',
          unit: 'short',
          width: 8,
          min: 0,
          queries: [
            {
              expr: 'max by (service) (remcode_rebalance_held_moves)',
              legend: '{{service}}',
              steady: 'a move is held only while a service is skewed; a single node never is',
            },
          ],
        },
      ],
    },
    {
      title: 'Services and nodes',
      panels: [
        {
          title: 'Replicas desired and running, per service',
          description: 'A gap that lasts means tasks cannot start: no image, no room, or a failing health check.',
          unit: 'short',
          width: 8,
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
          title: 'Services the controller will not touch',
          description: '1 while an update is paused or rolling back, or an unmanaged service holds the name.',
          unit: 'short',
          width: 8,
          min: 0,
          queries: [
            {
              expr: 'max by (service) (remcode_controller_service_stalled)',
              legend: '{{service}}',
              steady: 'a service stalls only when a rolling update pauses or an unmanaged service takes its name',
            },
          ],
        },
        {
          title: 'Swarm nodes ready',
          description: '1 while a node is ready, 0 while Swarm sees it down; RemcodeNodeDown fires after a minute.',
          unit: 'short',
          width: 8,
          min: 0,
          queries: [
            {
              expr: 'remcode_controller_node_ready',
              legend: '{{node}} ({{role}}, {{availability}})',
              steady: 'a node changes state only when it fails or is drained; the test shares its only node',
            },
          ],
        },
      ],
    },
  ],
};
