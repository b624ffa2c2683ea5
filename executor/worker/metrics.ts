import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '../../common/metrics.js';
import type { JudgeResult } from '../judge/judge.js';

/** Peak memory of one program, from a small interpreter to a run near the operator's largest limit. */
const MEMORY_BUCKETS_BYTES = [1, 4, 16, 32, 64, 128, 256, 512, 1024, 2048].map((mib) => mib * 1024 * 1024);

/** The step of a submission a program run belongs to. */
export type ProgramStep = 'compile' | 'test';

/** Every metric an executor process exposes, created in one place so that their names are one list. */
export interface ExecutorMetrics {
  readonly submissions: Counter<'language' | 'verdict'>;
  readonly runSeconds: Histogram<'language' | 'verdict'>;
  readonly queueWaitSeconds: Histogram;
  /** Program runs (compile steps and test cases) by how their interpreter started. */
  readonly programRuns: Counter<'start'>;
  readonly programSeconds: Histogram<'language' | 'step'>;
  readonly programCpuSeconds: Histogram<'language' | 'step'>;
  readonly programMemoryBytes: Histogram<'language' | 'step'>;
  readonly sandboxOverheadSeconds: Histogram<'language'>;
  readonly handedBack: Counter<'reason'>;
}

export interface ExecutorMetricSources {
  readonly slots: number;
  /** Slots running a submission now; read at scrape time. */
  readonly busySlots: () => number;
}

export function createExecutorMetrics(registry: Registry, sources: ExecutorMetricSources): ExecutorMetrics {
  const registers = [registry];
  new Gauge({
    name: 'remcode_executor_slots',
    help: 'Concurrent runs this executor offers',
    registers,
  }).set(sources.slots);
  // Read at scrape time, so that no code path has to remember to update them.
  const busy: Gauge = new Gauge({
    name: 'remcode_executor_busy_slots',
    help: 'Slots running a submission now',
    registers,
    collect: () => busy.set(sources.busySlots()),
  });
  const free: Gauge = new Gauge({
    name: 'remcode_executor_free_slots',
    help: 'Slots with no submission now',
    registers,
    collect: () => free.set(Math.max(0, sources.slots - sources.busySlots())),
  });
  return {
    submissions: new Counter({
      name: 'remcode_submissions_total',
      help: 'Submissions finished, by language and verdict',
      labelNames: ['language', 'verdict'] as const,
      registers,
    }),
    runSeconds: new Histogram({
      name: 'remcode_run_duration_seconds',
      help: 'From the start of a job (its first program) to storing its result',
      labelNames: ['language', 'verdict'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    queueWaitSeconds: new Histogram({
      name: 'remcode_queue_wait_seconds',
      help: 'From submission to the start of its first run',
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    programRuns: new Counter({
      name: 'remcode_program_runs_total',
      help: 'Program runs (compile steps and test cases), by start: warm (a copy of a started interpreter) or cold',
      labelNames: ['start'] as const,
      registers,
    }),
    programSeconds: new Histogram({
      name: 'remcode_program_duration_seconds',
      help: 'Wall time of one program run in the sandbox, by language and step (compile or test)',
      labelNames: ['language', 'step'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    programCpuSeconds: new Histogram({
      name: 'remcode_program_cpu_seconds',
      help: 'CPU time of one program run, by language and step',
      labelNames: ['language', 'step'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    programMemoryBytes: new Histogram({
      name: 'remcode_program_memory_peak_bytes',
      help: 'Peak memory of one program run, by language and step',
      labelNames: ['language', 'step'] as const,
      buckets: MEMORY_BUCKETS_BYTES,
      registers,
    }),
    sandboxOverheadSeconds: new Histogram({
      name: 'remcode_sandbox_overhead_seconds',
      help: 'Time a job spent in the judge outside its programs (workspace, sandbox set-up and tear-down, compile cache)',
      labelNames: ['language'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    handedBack: new Counter({
      name: 'remcode_jobs_handed_back_total',
      help: 'Jobs given back to the queue unfinished, by reason (shutdown)',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}

/**
 * Records each program of a judged submission, and the judge's time outside them: set-up and tear-down
 * of workspaces and sandboxes, compile-cache work, comparing outputs.
 */
export function observeJudged(
  metrics: ExecutorMetrics,
  language: string,
  judged: JudgeResult,
  judgeSeconds: number,
): void {
  const runs = [
    ...(judged.compile ? [{ step: 'compile' as const, run: judged.compile }] : []),
    ...judged.tests.map((t) => ({ step: 'test' as const, run: t.result })),
  ];
  let programSeconds = 0;
  for (const { step, run } of runs) {
    const labels = { language, step };
    metrics.programRuns.inc({ start: run.warmStart ? 'warm' : 'cold' });
    metrics.programSeconds.observe(labels, run.wallTimeMs / 1000);
    metrics.programCpuSeconds.observe(labels, run.cpuTimeMs / 1000);
    metrics.programMemoryBytes.observe(labels, run.memoryBytes);
    programSeconds += run.wallTimeMs / 1000;
  }
  metrics.sandboxOverheadSeconds.observe({ language }, Math.max(0, judgeSeconds - programSeconds));
}
