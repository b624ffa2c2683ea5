import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/**
 * Judge0 CE 1.13's request and response shapes. Form bodies carry every value as text and Rails reads
 * numbers and booleans out of it, so each field takes its JSON type or a string here, and the request
 * translation checks the values the way Judge0's model validations do. Unknown fields are ignored, as
 * Rails' strong parameters ignore them.
 */

const Numeric = Type.Optional(Type.Union([Type.Number(), Type.String({ maxLength: 32 }), Type.Null()]));
const Flag = Type.Optional(Type.Union([Type.Boolean(), Type.String({ maxLength: 8 }), Type.Null()]));
const Text = Type.Optional(Type.Union([Type.String(), Type.Null()]));

export const Judge0SubmissionBody = Type.Object({
  source_code: Text,
  language_id: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 32 }), Type.Null()])),
  compiler_options: Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()])),
  command_line_arguments: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
  stdin: Text,
  expected_output: Text,
  number_of_runs: Numeric,
  cpu_time_limit: Numeric,
  cpu_extra_time: Numeric,
  wall_time_limit: Numeric,
  memory_limit: Numeric,
  stack_limit: Numeric,
  max_processes_and_or_threads: Numeric,
  enable_per_process_and_thread_time_limit: Flag,
  enable_per_process_and_thread_memory_limit: Flag,
  max_file_size: Numeric,
  redirect_stderr_to_stdout: Flag,
  enable_network: Flag,
  callback_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
  additional_files: Text,
});
export type Judge0SubmissionBody = Static<typeof Judge0SubmissionBody>;

export const Judge0BatchBody = Type.Object({
  submissions: Type.Array(Judge0SubmissionBody, { description: 'At most 20' }),
});

const QueryText = Type.Optional(Type.String({ maxLength: 1024 }));

export const Judge0CreateQuery = Type.Object({
  base64_encoded: QueryText,
  wait: QueryText,
  fields: QueryText,
});

export const Judge0ShowQuery = Type.Object({ base64_encoded: QueryText, fields: QueryText });

export const Judge0BatchQuery = Type.Object({
  tokens: Type.Optional(Type.String({ maxLength: 64 * 20 + 19 })),
  base64_encoded: QueryText,
  fields: QueryText,
});

export const TokenParams = Type.Object({ token: Type.String({ maxLength: 64 }) });
export const LanguageParams = Type.Object({ id: Type.String({ maxLength: 16 }) });

/** A submission as Judge0 answers it: the attributes `fields` selected. */
export const Judge0SubmissionView = Type.Object(
  {
    token: Type.Optional(Type.String()),
    status: Type.Optional(Type.Object({ id: Type.Integer(), description: Type.String() })),
    stdout: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    stderr: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    compile_output: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    message: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    time: Type.Optional(Type.Union([Type.String({ description: 'CPU seconds' }), Type.Null()])),
    memory: Type.Optional(Type.Union([Type.Integer({ description: 'Kilobytes' }), Type.Null()])),
    error: Type.Optional(Type.String({ description: 'Why the output cannot be shown as text' })),
  },
  { additionalProperties: true, description: 'The attributes named by `fields` (see docs/compat.md)' },
);

export const Judge0Error = Type.Object({ error: Type.String() }, { additionalProperties: true });
export const Judge0FieldErrorsView = Type.Record(Type.String(), Type.Array(Type.String()), {
  description: 'Field errors: `{field: [message]}`',
});
