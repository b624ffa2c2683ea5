/**
 * The verdict of a whole submission or of one test case, as the API reports it. The sandbox's own
 * `ok` becomes `accepted` (or `wrong_answer` when an expected output was given and differs).
 */
export const SUBMISSION_VERDICTS = [
  'accepted',
  'wrong_answer',
  'compile_error',
  'runtime_error',
  'time_limit_exceeded',
  'memory_limit_exceeded',
  'output_limit_exceeded',
  'internal_error',
] as const;

export type SubmissionVerdict = (typeof SUBMISSION_VERDICTS)[number];

export const SUBMISSION_STATES = ['queued', 'running', 'finished', 'cancelled'] as const;

export type SubmissionState = (typeof SUBMISSION_STATES)[number];
