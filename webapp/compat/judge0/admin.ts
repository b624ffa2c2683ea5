import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { publishEvent } from '../../../common/events.js';
import type { ApiContext } from '../../context.js';
import type { AttributesStore } from './attributes-store.js';
import { Judge0HttpError } from './errors.js';
import { Judge0Error, Judge0ShowQuery, Judge0SubmissionView, TokenParams } from './schemas.js';
import { outcomeOf, status } from './statuses.js';
import { NotUtf8Error, judge0View, parseFields } from './view.js';

type Judge0App = Parameters<FastifyPluginCallbackTypebox>[0];

/** Judge0's `Submission.per_page`. */
const DEFAULT_PER_PAGE = 20;
/** RemCode's own bound: Judge0 has none, but a page is read and rendered in one answer. */
export const MAX_PER_PAGE = 100;

const errors = { '4xx': Judge0Error, '5xx': Judge0Error };

/** Ruby's `String#to_i`: the leading integer, 0 when there is none. */
function rubyInteger(value: string): number {
  const match = /^\s*[+-]?\d+/.exec(value);
  return match ? Number.parseInt(match[0], 10) : 0;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const ListQuery = Type.Object({
  page: Type.Optional(Type.String({ maxLength: 32 })),
  per_page: Type.Optional(Type.String({ maxLength: 32 })),
  base64_encoded: Type.Optional(Type.String({ maxLength: 1024 })),
  fields: Type.Optional(Type.String({ maxLength: 1024 })),
});

const PageMeta = Type.Object({
  current_page: Type.Integer(),
  next_page: Type.Union([Type.Integer(), Type.Null()]),
  prev_page: Type.Union([Type.Integer(), Type.Null()]),
  total_pages: Type.Integer(),
  total_count: Type.Integer(),
});

/**
 * Judge0's privileged routes, the list of every submission and the delete: both need one of the
 * operator's authorization tokens in `X-Auth-User` (Judge0's AUTHZ_TOKEN), and without any configured
 * they answer 403 with no body, as Judge0 does. Deleting is also switched off unless the operator allows
 * it, and never touches a submission still queued or running.
 */
export function judge0AdminRoutes(app: Judge0App, ctx: ApiContext, attributes: AttributesStore): void {
  const { judge0AuthzTokens: tokens, judge0Delete } = ctx.config.compat;

  /** Answers 403 and returns false unless the request is authorized. */
  async function authorized(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    await ctx.apiKeys.authenticate(request);
    const given = request.headers['x-auth-user'];
    if (typeof given === 'string' && tokens.some((t) => sameSecret(given, t))) return true;
    await reply.code(403).send();
    return false;
  }

  for (const url of ['/submissions', '/submissions/'])
    app.get(
      url,
      {
        config: { openapi: url === '/submissions' },
        schema: {
          summary: 'Judge0: list submissions (needs X-Auth-User)',
          description: `Oldest first, \`per_page\` at most ${MAX_PER_PAGE}. 403 without an authorization token.`,
          querystring: ListQuery,
          response: {
            200: Type.Object({ submissions: Type.Array(Judge0SubmissionView), meta: PageMeta }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        if (!(await authorized(request, reply))) return reply;
        const page = request.query.page === undefined ? 1 : rubyInteger(request.query.page);
        const perPage =
          request.query.per_page === undefined ? DEFAULT_PER_PAGE : rubyInteger(request.query.per_page);
        if (page <= 0) throw new Judge0HttpError(400, `invalid page: ${page}`);
        if (perPage <= 0 || perPage > MAX_PER_PAGE)
          throw new Judge0HttpError(400, `invalid per_page: ${perPage}`);
        const fields = parseFields(request.query.fields);
        const base64 = request.query.base64_encoded === 'true';
        const [{ rows: counted }, { rows: ids }] = await Promise.all([
          ctx.pool.query<{ total: string }>('SELECT count(*) AS total FROM submissions'),
          ctx.pool.query<{ id: string }>({
            name: 'judge0-list-page',
            text: 'SELECT id FROM submissions ORDER BY created_at, id LIMIT $1 OFFSET $2',
            values: [perPage, (page - 1) * perPage],
          }),
        ]);
        const total = Number(counted[0]?.total ?? 0);
        const totalPages = Math.ceil(total / perPage);
        const [rows, attrs, languages] = await Promise.all([
          Promise.all(ids.map((r) => ctx.store.get(r.id))),
          attributes.get(ids.map((r) => r.id)),
          ctx.languages.list(),
        ]);
        let submissions: Record<string, unknown>[];
        try {
          submissions = rows.flatMap((s, i) =>
            // A row deleted between the two reads is left out rather than answered as null.
            s ? [judge0View(s, { fields, base64, attributes: attrs[i] ?? null, languages })] : [],
          );
        } catch (error) {
          if (!(error instanceof NotUtf8Error)) throw error;
          throw new Judge0HttpError(
            400,
            'some attributes for one or more submissions cannot be converted to UTF-8, use base64_encoded=true query parameter',
          );
        }
        return {
          submissions,
          meta: {
            current_page: page,
            next_page: page < totalPages ? page + 1 : null,
            prev_page: page > 1 ? page - 1 : null,
            total_pages: totalPages,
            total_count: total,
          },
        };
      },
    );

  app.delete(
    '/submissions/:token',
    {
      config: { openapi: true },
      schema: {
        summary: 'Judge0: delete a finished submission (needs X-Auth-User and REMCODE_JUDGE0_DELETE=on)',
        description: 'Answers the deleted submission, base64-encoded whatever `base64_encoded` says.',
        params: TokenParams,
        querystring: Judge0ShowQuery,
        response: { 200: Judge0SubmissionView, ...errors },
      },
    },
    async (request, reply) => {
      if (!(await authorized(request, reply))) return reply;
      if (!judge0Delete) throw new Judge0HttpError(400, 'delete not allowed');
      const fields = parseFields(request.query.fields);
      const s = await ctx.store.get(request.params.token);
      if (!s) throw new Judge0HttpError(404, 'Not Found');
      const outcome = outcomeOf(s);
      if (outcome.statusId === 1 || outcome.statusId === 2) {
        const { id, description } = status(outcome.statusId);
        throw new Judge0HttpError(
          400,
          `submission cannot be deleted because its status is ${id} (${description})`,
        );
      }
      const [attrs] = await attributes.get([s.id]);
      // Judge0 answers in base64 here so that whatever the submission holds can be shown.
      const view = judge0View(s, {
        fields,
        base64: true,
        attributes: attrs ?? null,
        languages: await ctx.languages.list(),
      });
      if (!(await ctx.store.remove(s.id))) throw new Judge0HttpError(404, 'Not Found');
      await attributes.remove(s.id);
      // Pages and streams following it learn that it is gone, as after a v1 delete.
      await publishEvent(ctx.redis, ctx.keys, s.id, { type: 'cancelled' });
      return view;
    },
  );
}
