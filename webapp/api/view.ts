import type { RunView, StoredRun, SubmissionView } from '../../common/submission-schema.js';
import type { Submission } from '../../common/submission.js';
import type { Static } from '@sinclair/typebox';
import type { SourceView } from './schemas.js';

function text(base64: string, encoding: 'utf8' | 'base64'): string {
  return encoding === 'base64' ? base64 : Buffer.from(base64, 'base64').toString('utf8');
}

function runView(run: StoredRun, verdict: string, encoding: 'utf8' | 'base64'): RunView {
  return {
    verdict,
    time_limit: run.timeLimit,
    stdout: text(run.stdout, encoding),
    stderr: text(run.stderr, encoding),
    stdout_truncated: run.stdoutTruncated,
    stderr_truncated: run.stderrTruncated,
    exit_code: run.exitCode,
    signal: run.signal,
    cpu_time_ms: run.cpuTimeMs,
    wall_time_ms: run.wallTimeMs,
    memory_bytes: run.memoryBytes,
  };
}

/** The API's JSON shape of a submission; output bytes become text or base64 as the submitter asked. */
export function submissionView(s: Submission): SubmissionView {
  const result = s.result;
  const tests = result?.tests.map((t) => runView(t.run, t.verdict, s.encoding)) ?? [];
  const single = s.input.tests === null;
  const first = tests[0];
  return {
    id: s.id,
    state: s.state,
    language: s.language,
    version: s.languageVersion,
    encoding: s.encoding,
    verdict: s.verdict,
    error: result?.error ?? null,
    limits: {
      cpu_time_ms: s.limits.cpuTimeMs,
      wall_time_ms: s.limits.wallTimeMs,
      memory_bytes: s.limits.memoryBytes,
      processes: s.limits.processes,
      output_bytes: s.limits.outputBytes,
      file_size_bytes: s.limits.fileSizeBytes,
    },
    compile: result?.compile ? runView(result.compile, result.compile.verdict, s.encoding) : null,
    tests,
    ...(single
      ? { stdout: first?.stdout ?? null, stderr: first?.stderr ?? null, exit_code: first?.exit_code ?? null }
      : {}),
    executor: s.executor,
    created_at: s.createdAt.toISOString(),
    started_at: s.startedAt?.toISOString() ?? null,
    finished_at: s.finishedAt?.toISOString() ?? null,
  };
}

/** What was submitted, in the encoding it was submitted in, so a client can show or resubmit it. */
export function sourceView(s: Submission): Static<typeof SourceView> {
  const enc = (b: Buffer): string => (s.encoding === 'base64' ? b.toString('base64') : b.toString('utf8'));
  return {
    id: s.id,
    language: s.language,
    encoding: s.encoding,
    files: s.input.files.map((f) => ({ name: f.name, content: enc(f.content) })),
    stdin: enc(s.input.stdin),
    args: [...s.input.args],
    compiler_args: [...s.input.compilerArgs],
    tests:
      s.input.tests?.map((t) => ({
        stdin: enc(t.stdin),
        expected_output: t.expectedOutput === null ? null : enc(t.expectedOutput),
      })) ?? null,
  };
}
