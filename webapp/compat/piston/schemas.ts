import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/**
 * Piston v2's request and response shapes. Unknown request fields are accepted and ignored, as Piston
 * does, because its clients send fields of other Piston versions (`compile_cpu_time`, `runtime`).
 */

const Limit = Type.Number({ description: 'Milliseconds or bytes; -1 asks for the operator maximum' });

export const PistonFile = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 128 })),
  content: Type.String(),
  encoding: Type.Optional(Type.String({ description: '"utf8" (default), "base64" or "hex"' })),
});

export const PistonExecuteBody = Type.Object({
  language: Type.String({ minLength: 1, maxLength: 64 }),
  version: Type.String({ minLength: 1, maxLength: 64, description: 'A version, a prefix of one, or "*"' }),
  files: Type.Array(PistonFile, { minItems: 1, maxItems: 32, description: 'The first UTF-8 file is run' }),
  stdin: Type.Optional(Type.String()),
  args: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 128 })),
  compile_timeout: Type.Optional(Limit),
  run_timeout: Type.Optional(Limit),
  compile_cpu_time: Type.Optional(Limit),
  run_cpu_time: Type.Optional(Limit),
  compile_memory_limit: Type.Optional(Limit),
  run_memory_limit: Type.Optional(Limit),
});
export type PistonExecuteBody = Static<typeof PistonExecuteBody>;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const PistonStage = Type.Object({
  stdout: Type.String(),
  stderr: Type.String(),
  output: Type.String({ description: 'stdout followed by stderr (RemCode keeps the streams apart)' }),
  code: Nullable(Type.Integer()),
  signal: Nullable(Type.String()),
  message: Nullable(Type.String()),
  status: Nullable(Type.String({ description: 'RE, SG, TO, OL, EL or XX; null when the stage ran cleanly' })),
  memory: Type.Integer({ description: 'Peak memory in bytes' }),
  cpu_time: Type.Number({ description: 'Milliseconds' }),
  wall_time: Type.Number({ description: 'Milliseconds' }),
});
export type PistonStage = Static<typeof PistonStage>;

export const PistonExecuteView = Type.Object({
  language: Type.String(),
  version: Type.String(),
  run: Type.Optional(PistonStage),
  compile: Type.Optional(PistonStage),
});
export type PistonExecuteView = Static<typeof PistonExecuteView>;

export const PistonRuntimeView = Type.Object({
  language: Type.String(),
  version: Type.String(),
  aliases: Type.Array(Type.String()),
  runtime: Type.Optional(Type.String()),
});

export const PistonError = Type.Object({ message: Type.String() });
