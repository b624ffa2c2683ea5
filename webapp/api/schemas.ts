import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Nullable, StateSchema } from '../../common/submission-schema.js';

/**
 * Request and response schemas of the v1 API. Structure is checked here; byte sizes after base64
 * decoding, file names and limits are checked by the decoder, which knows the language and the config.
 */

// Defined in common/, where the store, the executor and the browser derive their types from them too.
export { LimitsView, RunView, SubmissionView } from '../../common/submission-schema.js';

const LimitValue = Type.Union([Type.Number({ minimum: 0 }), Type.String({ maxLength: 32 })]);

export const LimitsBody = Type.Object(
  {
    cpu_time: Type.Optional(LimitValue),
    wall_time: Type.Optional(LimitValue),
    memory: Type.Optional(LimitValue),
    processes: Type.Optional(LimitValue),
    output: Type.Optional(LimitValue),
    file_size: Type.Optional(LimitValue),
  },
  {
    additionalProperties: false,
    description: 'Times as "2s"/"500ms" or milliseconds; sizes as "256MiB" or bytes',
  },
);

const Text = Type.String({ description: 'UTF-8 text, or base64 when `encoding` is "base64"' });

export const SubmissionBody = Type.Object(
  {
    language: Type.String({ minLength: 1, maxLength: 64, description: 'Language id or alias' }),
    version: Type.Optional(Type.String({ maxLength: 64, description: 'Required installed version prefix' })),
    source: Type.Optional(Text),
    files: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 128 }), content: Text },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 32, description: 'The first file is the entry point' },
      ),
    ),
    stdin: Type.Optional(Text),
    args: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 128 })),
    compiler_args: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 128 })),
    tests: Type.Optional(
      Type.Array(
        Type.Object(
          { stdin: Type.Optional(Text), expected_output: Type.Optional(Type.Union([Text, Type.Null()])) },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 64 },
      ),
    ),
    limits: Type.Optional(LimitsBody),
    encoding: Type.Optional(Type.Union([Type.Literal('utf8'), Type.Literal('base64')])),
  },
  { additionalProperties: false },
);
export type SubmissionBody = Static<typeof SubmissionBody>;

export const WaitQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]),
    ),
  },
  { additionalProperties: false },
);

export const EventsQuery = Type.Object(
  { last_event_id: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** The submission's input, for permanent links that show the code again. */
export const SourceView = Type.Object({
  id: Type.String(),
  language: Type.String(),
  encoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
  files: Type.Array(Type.Object({ name: Type.String(), content: Type.String() })),
  stdin: Type.String(),
  args: Type.Array(Type.String()),
  compiler_args: Type.Array(Type.String()),
  tests: Nullable(
    Type.Array(Type.Object({ stdin: Type.String(), expected_output: Nullable(Type.String()) })),
  ),
});

export const CreatedView = Type.Object({ id: Type.String(), state: StateSchema, location: Type.String() });

export const LanguageView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  aliases: Type.Array(Type.String()),
  version: Nullable(Type.String()),
  available: Type.Boolean(),
  unavailable_reason: Nullable(Type.String()),
  source_file: Type.String(),
  compiled: Type.Boolean(),
  editor_mode: Type.String(),
  starter: Type.String(),
  starter_stdin: Type.String(),
  cold: Type.Boolean({
    description:
      'true when only an executor pool scaled to zero has the language: a run waits for an executor to start',
  }),
});

export const StatusView = Type.Object({
  queue_depth: Type.Integer(),
  running: Type.Integer(),
  oldest_job_age_seconds: Type.Number(),
  executors_online: Type.Integer(),
  executor_slots: Type.Integer(),
  busy_slots: Type.Integer(),
});

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'A client-chosen key (1-255 visible ASCII characters) that makes repeating this POST safe',
    }),
  ),
});

export const HealthView = Type.Object({
  status: Type.String(),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});
