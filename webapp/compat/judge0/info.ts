import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../../context.js';
import { COMPILER_OPTION_LANGUAGES } from './arguments.js';
import { Judge0HttpError } from './errors.js';
import { judge0Languages } from './languages.js';
import { limitTable } from './request.js';
import { Judge0Error, LanguageParams } from './schemas.js';
import { JUDGE0_STATUSES } from './statuses.js';

/** Judge0's `max_submission_batch_size`. */
export const MAX_BATCH = 20;
/** Judge0's `max_extract_size` (kilobytes): how much `additional_files` may unpack to. */
export const MAX_EXTRACT_KB = 10_240;
/** The Judge0 CE version whose API this dialect follows. */
const JUDGE0_VERSION = '1.13.1';

const errors = { '4xx': Judge0Error, '5xx': Judge0Error };

const WorkersView = Type.Array(
  Type.Object({
    queue: Type.String(),
    total: Type.Integer(),
    available: Type.Integer(),
    idle: Type.Integer(),
    working: Type.Integer(),
    paused: Type.Integer(),
    failed: Type.Integer(),
  }),
);

type Judge0App = Parameters<FastifyPluginCallbackTypebox>[0];

/**
 * Judge0's read-only pages: `/languages`, `/languages/{id}`, `/statuses`, `/about`, `/workers` and `/config_info`,
 * the last reporting the operator's limits in Judge0's units. Added to the dialect's own context so that
 * its error shapes apply.
 */
export function judge0InfoRoutes(app: Judge0App, ctx: ApiContext, callbacksEnabled: boolean): void {
  const bounds = { defaults: ctx.config.limitDefaults, maxima: ctx.config.limitMaxima };

  app.get(
    '/languages',
    {
      config: { openapi: true },
      schema: {
        summary: 'Judge0: installed languages',
        response: { 200: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })), ...errors },
      },
    },
    async () => judge0Languages(await ctx.languages.list()).map((l) => ({ id: l.id, name: l.name })),
  );

  app.get(
    '/languages/:id',
    {
      config: { openapi: true },
      schema: {
        summary: 'Judge0: one language',
        params: LanguageParams,
        response: {
          200: Type.Object({
            id: Type.Integer(),
            name: Type.String(),
            is_archived: Type.Boolean(),
            source_file: Type.String(),
            compile_cmd: Type.Union([Type.String(), Type.Null()]),
            run_cmd: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const language = judge0Languages(await ctx.languages.list()).find(
        (l) => String(l.id) === request.params.id,
      );
      if (!language) throw new Judge0HttpError(404, 'Not Found');
      return {
        id: language.id,
        name: language.name,
        is_archived: false,
        source_file: language.remcode.sourceFile,
        // RemCode's commands are argv templates run by the executor, not shell lines to show.
        compile_cmd: null,
        run_cmd: null,
      };
    },
  );

  app.get(
    '/statuses',
    {
      config: { openapi: true },
      schema: {
        summary: 'Judge0: statuses',
        response: { 200: Type.Array(Type.Object({ id: Type.Integer(), description: Type.String() })) },
      },
    },
    () => JUDGE0_STATUSES.map((s) => ({ ...s })),
  );

  app.get(
    '/about',
    {
      config: { openapi: true },
      schema: {
        summary: 'Judge0: about',
        response: {
          200: Type.Object({
            version: Type.String(),
            homepage: Type.String(),
            source_code: Type.String(),
            maintainer: Type.String(),
          }),
        },
      },
    },
    () => ({
      version: JUDGE0_VERSION,
      homepage: 'https://remcode.dev',
      source_code: 'https://remcode.dev/source',
      maintainer: 'RemCode (Judge0 CE API compatibility)',
    }),
  );

  app.get(
    '/workers',
    {
      config: { openapi: true },
      schema: {
        summary: 'Judge0: workers of the queue',
        description:
          'One entry for the queue; a worker is an executor slot with a live heartbeat. 503 while none is online.',
        response: {
          200: WorkersView,
          503: WorkersView,
        },
      },
    },
    async (_request, reply) => {
      // A fresh reading: this page is polled by monitors, not on the submission path.
      await ctx.monitor.refresh();
      const s = ctx.monitor.stats;
      const view = [
        {
          queue: ctx.queue.name,
          total: s.slots,
          available: s.slots,
          idle: Math.max(0, s.slots - s.busySlots),
          working: s.busySlots,
          paused: 0,
          failed: 0,
        },
      ];
      // Judge0 answers 500 when workers are missing; with none at all nothing can run, which is a 503.
      return reply.code(s.executorsOnline > 0 ? 200 : 503).send(view);
    },
  );

  app.get(
    '/config_info',
    {
      config: { openapi: true },
      schema: {
        summary: 'Judge0: limits and switches',
        response: { 200: Type.Record(Type.String(), Type.Unknown()) },
      },
    },
    async () => {
      const table = limitTable(bounds);
      return {
        maintenance_mode: false,
        enable_wait_result: true,
        enable_compiler_options: true,
        allowed_languages_for_compile_options: judge0Languages(await ctx.languages.list())
          .filter((l) => ['c', 'cpp', ...COMPILER_OPTION_LANGUAGES].includes(l.remcode.id))
          .map((l) => l.name),
        enable_command_line_arguments: true,
        enable_submission_delete: ctx.config.compat.judge0Delete,
        enable_callbacks: callbacksEnabled,
        callbacks_max_tries: 3,
        callbacks_timeout: 5,
        enable_additional_files: true,
        max_queue_size: ctx.config.queueMax,
        cpu_time_limit: table.cpu_time_limit.default,
        max_cpu_time_limit: table.cpu_time_limit.max,
        cpu_extra_time: table.cpu_extra_time.default,
        max_cpu_extra_time: table.cpu_extra_time.max,
        wall_time_limit: table.wall_time_limit.default,
        max_wall_time_limit: table.wall_time_limit.max,
        memory_limit: table.memory_limit.default,
        max_memory_limit: table.memory_limit.max,
        stack_limit: table.stack_limit.default,
        max_stack_limit: table.stack_limit.max,
        max_processes_and_or_threads: table.max_processes_and_or_threads.default,
        max_max_processes_and_or_threads: table.max_processes_and_or_threads.max,
        enable_per_process_and_thread_time_limit: false,
        allow_enable_per_process_and_thread_time_limit: false,
        enable_per_process_and_thread_memory_limit: false,
        allow_enable_per_process_and_thread_memory_limit: false,
        max_file_size: table.max_file_size.default,
        max_max_file_size: table.max_file_size.max,
        number_of_runs: table.number_of_runs.default,
        max_number_of_runs: table.number_of_runs.max,
        redirect_stderr_to_stdout: false,
        max_extract_size: MAX_EXTRACT_KB,
        enable_batched_submissions: true,
        max_submission_batch_size: MAX_BATCH,
        submission_cache_duration: 0,
        use_docs_as_homepage: false,
        allow_enable_network: false,
        enable_network: false,
      };
    },
  );
}
