import type { DashboardDef } from './model.js';

const p95By = (metric: string, by: string): string =>
  `histogram_quantile(0.95, sum by (le, ${by}) (rate(${metric}_bucket[5m])))`;

/** Per language: what runs, what it costs, and where the executor's own time goes. */
export const executor: DashboardDef = {
  uid: 'remcode-executor',
  title: 'RemCode: executors',
  description: 'Runs, verdicts, durations, CPU, memory and sandbox overhead per language; slots per executor.',
  rows: [
    {
      title: 'Runs',
      panels: [
        {
          title: 'Submissions per second, by language and verdict',
          description: 'Finished submissions as each executor stored them.',
          unit: 'ops',
          width: 12,
          stacked: true,
          queries: [
            {
              expr: 'sum by (language, verdict) (rate(remcode_submissions_total[1m]))',
              legend: '{{language}} {{verdict}}',
            },
          ],
        },
        {
          title: 'Program runs per second, warm and cold',
          description:
            'Compile steps and test cases. Warm runs start from a copy of an interpreter each slot keeps started (EXECUTOR_WARM).',
          unit: 'ops',
          width: 12,
          stacked: true,
          queries: [{ expr: 'sum by (start) (rate(remcode_program_runs_total[1m]))', legend: '{{start}}' }],
        },
      ],
    },
    {
      title: 'Durations',
      panels: [
        {
          title: 'Program wall time p95, by language and step',
          description: 'One compile step or test case inside the sandbox, as its cgroup measured it.',
          unit: 's',
          width: 12,
          queries: [
            { expr: p95By('remcode_program_duration_seconds', 'language, step'), legend: '{{language}} {{step}}' },
          ],
        },
        {
          title: 'Program CPU time p95, by language and step',
          description: 'CPU time charged to the run\u2019s cgroup; the cpu_time limit applies to it.',
          unit: 's',
          width: 12,
          queries: [
            { expr: p95By('remcode_program_cpu_seconds', 'language, step'), legend: '{{language}} {{step}}' },
          ],
        },
        {
          title: 'Sandbox overhead per submission, by language',
          description:
            'Time the judge spent outside the programs: workspace and sandbox set-up and tear-down, compile cache, comparing outputs.',
          unit: 's',
          width: 12,
          queries: [
            {
              expr: 'histogram_quantile(0.5, sum by (le, language) (rate(remcode_sandbox_overhead_seconds_bucket[5m])))',
              legend: '{{language}} p50',
            },
            { expr: p95By('remcode_sandbox_overhead_seconds', 'language'), legend: '{{language}} p95' },
          ],
        },
        {
          title: 'Submission run time p95, by language',
          description: 'From the first program\u2019s start to the stored result: compile plus every test case.',
          unit: 's',
          width: 12,
          queries: [{ expr: p95By('remcode_run_duration_seconds', 'language'), legend: '{{language}}' }],
        },
      ],
    },
    {
      title: 'Memory and slots',
      panels: [
        {
          title: 'Peak memory p95, by language and step',
          description: 'The largest memory use of a run\u2019s cgroup; runs over their memory limit end memory_limit_exceeded.',
          unit: 'bytes',
          width: 12,
          queries: [
            {
              expr: p95By('remcode_program_memory_peak_bytes', 'language, step'),
              legend: '{{language}} {{step}}',
            },
          ],
        },
        {
          title: 'Slots per executor, busy and free',
          description: 'Each executor runs as many submissions at once as it has slots (EXECUTOR_SLOTS).',
          unit: 'short',
          width: 12,
          min: 0,
          queries: [
            { expr: 'sum by (instance) (remcode_executor_busy_slots)', legend: 'busy {{instance}}' },
            { expr: 'sum by (instance) (remcode_executor_free_slots)', legend: 'free {{instance}}' },
          ],
        },
      ],
    },
  ],
};
