/**
 * A submission as the webapp inserts it, and a result as the executor stores it: for tests of the
 * store's statements themselves, where what the program is does not matter.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_LIMITS } from '../../common/limits.js';
import type { NewSubmission } from '../../common/submission.js';
import type { StoredResult } from '../../common/submission-schema.js';

export function newSubmission(id: string = randomUUID()): NewSubmission {
  return {
    id,
    language: 'python',
    languageVersion: null,
    encoding: 'utf8',
    input: {
      files: [{ name: 'main.py', content: Buffer.from('print(1)') }],
      stdin: Buffer.alloc(0),
      args: [],
      compilerArgs: [],
      tests: null,
    },
    limits: DEFAULT_LIMITS,
    apiKeyId: null,
  };
}

export const ACCEPTED_RESULT: StoredResult = { verdict: 'accepted', compile: null, tests: [], error: null };
