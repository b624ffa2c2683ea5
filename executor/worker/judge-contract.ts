import type { InstalledLanguage } from '../languages/types.js';
import type { RunLimits, RunResult, Sandbox, WorkspaceFile } from '../sandbox/types.js';
import type { SubmissionVerdict } from '../../common/verdicts.js';

/**
 * What the worker needs from the judge pipeline (`executor/judge/judge.ts`), stated structurally so the
 * worker depends on the shape, not on the module; `executor/main.ts` passes the real `judge`.
 */
export type JudgeEvent =
  | { readonly type: 'compiling' }
  | { readonly type: 'running'; readonly test: number }
  | {
      readonly type: 'output';
      readonly test: number;
      readonly stream: 'stdout' | 'stderr';
      readonly chunk: Buffer;
    };

export interface JudgeRequest {
  readonly language: InstalledLanguage;
  readonly files: WorkspaceFile[];
  readonly args: string[];
  readonly compilerArgs: string[];
  readonly limits: RunLimits;
  readonly tests: { stdin: Uint8Array; expectedOutput: Uint8Array | null }[];
  readonly onEvent?: (event: JudgeEvent) => void;
  readonly signal?: AbortSignal;
}

export interface JudgeResult {
  readonly verdict: SubmissionVerdict;
  readonly compile: RunResult | null;
  readonly tests: readonly { readonly verdict: SubmissionVerdict; readonly result: RunResult }[];
}

export type JudgeFunction<Cache> = (
  sandbox: Sandbox,
  request: JudgeRequest,
  options?: { cache?: Cache },
) => Promise<JudgeResult>;
