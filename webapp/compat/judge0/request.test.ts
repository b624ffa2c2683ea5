import { describe, expect, it } from 'vitest';
import type { PublishedLanguage } from '../../../common/languages.js';
import { DEFAULT_LIMITS, MAX_LIMITS } from '../../../common/limits.js';
import { Judge0FieldErrors, translateRequest } from './request.js';
import { writeZip } from './zip-fixtures.js';

const python: PublishedLanguage = {
  id: 'python',
  name: 'Python 3',
  aliases: [],
  version: '3.11.2',
  available: true,
  unavailableReason: null,
  sourceFile: 'main.py',
  compiled: false,
  editorMode: 'python',
  starter: '',
};
const java: PublishedLanguage = { ...python, id: 'java', sourceFile: 'Main.java', compiled: true };

const options = {
  base64: false,
  languages: [python, java],
  bounds: { defaults: DEFAULT_LIMITS, maxima: MAX_LIMITS },
  checkCallback: () => null,
  zipLimits: { entries: 32, fileBytes: 1024 ** 2, totalBytes: 10 * 1024 ** 2 },
};

function errorsOf(raw: Record<string, unknown>, base64 = false): Record<string, string[]> {
  try {
    translateRequest(raw, { ...options, base64 });
  } catch (error) {
    if (error instanceof Judge0FieldErrors) return { ...error.errors };
    throw error;
  }
  return {};
}

describe('translateRequest', () => {
  it('converts seconds and kilobytes, form strings included, into RemCode limits', () => {
    const { body, attributes } = translateRequest(
      {
        source_code: 'print(1)',
        language_id: '71',
        cpu_time_limit: '1.5',
        memory_limit: 65536,
        max_file_size: '100',
      },
      options,
    );
    expect(body.limits).toMatchObject({
      cpu_time: 1500,
      wall_time: DEFAULT_LIMITS.wallTimeMs,
      memory: 64 * 1024 ** 2,
      file_size: 100 * 1024,
      output: 100 * 1024,
    });
    expect(attributes).toMatchObject({ languageId: 71, cpuTimeLimit: 1.5, memoryLimit: 65536 });
  });

  it('judges against expected_output as one test case', () => {
    const { body } = translateRequest(
      { source_code: 'print(input())', language_id: 71, stdin: 'a', expected_output: 'a' },
      options,
    );
    expect(body.tests).toEqual([{ stdin: 'a', expected_output: 'a' }]);
  });

  it('names a Java file after its public class', () => {
    const { body } = translateRequest(
      { source_code: 'public class Solution { public static void main(String[] a) {} }', language_id: 62 },
      options,
    );
    expect(body.files?.[0]?.name).toBe('Solution.java');
  });

  it.each([
    [{ language_id: 71 }, { source_code: ["can't be blank"] }],
    [{ source_code: 'x' }, { language_id: ["can't be blank"] }],
    [{ source_code: 'x', language_id: 'abc' }, { language_id: ["language with id abc doesn't exist"] }],
    [{ source_code: 'x', language_id: 71, cpu_time_limit: 'fast' }, { cpu_time_limit: ['is not a number'] }],
    [
      { source_code: 'x', language_id: 71, cpu_time_limit: 0 },
      { cpu_time_limit: ['must be greater than 0'] },
    ],
    [
      { source_code: 'x', language_id: 71, cpu_time_limit: 16 },
      { cpu_time_limit: ['must be less than or equal to 15'] },
    ],
    [{ source_code: 'x', language_id: 71, memory_limit: 1.5 }, { memory_limit: ['must be an integer'] }],
    [
      { source_code: 'x', language_id: 71, enable_per_process_and_thread_time_limit: 'true' },
      { enable_per_process_and_thread_time_limit: ['this option cannot be enabled'] },
    ],
    [
      { source_code: 'x', language_id: 71, command_line_arguments: '"a' },
      { command_line_arguments: ['unterminated double quote'] },
    ],
  ])('refuses %j with %j', (raw, errors) => {
    expect(errorsOf(raw)).toEqual(errors);
  });

  it('checks base64 fields when base64_encoded is on', () => {
    expect(errorsOf({ source_code: 'not base64!', language_id: 71 }, true)).toEqual({
      source_code: ['is not valid base64'],
    });
  });

  it('places additional_files beside the program, every content then in base64', () => {
    const zip = writeZip([{ name: 'data/in.txt', content: '5\n' }]).toString('base64');
    const { body } = translateRequest(
      { source_code: 'print(1)', language_id: 71, stdin: 'hi', additional_files: zip },
      options,
    );
    expect(body).toMatchObject({
      encoding: 'base64',
      files: [
        { name: 'main.py', content: Buffer.from('print(1)').toString('base64') },
        { name: 'data/in.txt', content: Buffer.from('5\n').toString('base64') },
      ],
      stdin: Buffer.from('hi').toString('base64'),
    });
  });

  it('repeats the run as test cases for number_of_runs, with or without expected output', () => {
    const { body } = translateRequest(
      { source_code: 'x', language_id: 71, stdin: 'in', number_of_runs: '3' },
      options,
    );
    expect(body.tests).toEqual([
      { stdin: 'in', expected_output: null },
      { stdin: 'in', expected_output: null },
      { stdin: 'in', expected_output: null },
    ]);
    expect(body.stdin).toBeUndefined();
    const once = translateRequest({ source_code: 'x', language_id: 71, stdin: 'in' }, options);
    expect(once.body).toMatchObject({ stdin: 'in' });
    expect(once.body.tests).toBeUndefined();
  });

  it('names the fields it accepts but does not apply', () => {
    const given = { source_code: 'x', language_id: 71, cpu_extra_time: '1', stack_limit: 1000 };
    expect(translateRequest(given, options).notApplied).toEqual(['cpu_extra_time', 'stack_limit']);
    expect(translateRequest({ source_code: 'x', language_id: 71 }, options).notApplied).toEqual([]);
  });
});
