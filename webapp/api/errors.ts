import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { asUnavailable } from '../../common/outage.js';

/**
 * An HTTP error with a stable machine-readable `code`, answered as application/problem+json (RFC 9457).
 * Routes throw these; the one error handler below turns everything else into one too.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail ?? title);
  }
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable error code' }),
    detail: Type.Optional(Type.String()),
  },
  { description: 'An RFC 9457 problem document' },
);

function send(reply: FastifyReply, problem: ProblemError): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) void reply.header(name, value);
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({
      type: `https://remcode.dev/problems/${problem.code}`,
      title: problem.title,
      status: problem.status,
      code: problem.code,
      ...(problem.detail !== undefined ? { detail: problem.detail } : {}),
    });
}

/** Maps framework errors (bad JSON, oversize body, schema failures) to problems a person understands. */
function toProblem(error: FastifyError): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  switch (error.code) {
    case 'FST_ERR_VALIDATION':
      return new ProblemError(
        400,
        'invalid_request',
        'The request does not match the API schema',
        error.message,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ProblemError(413, 'body_too_large', 'The request body is too large', error.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ProblemError(415, 'unsupported_media_type', 'Send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ProblemError(400, 'invalid_json', 'The JSON body is empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ProblemError(400, 'invalid_request', 'The Content-Length does not match the body');
    default:
      break;
  }
  if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
    return new ProblemError(400, 'invalid_json', 'The body is not valid JSON', error.message);
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new ProblemError(error.statusCode, 'bad_request', 'The request was not understood', error.message);
  }
  return undefined;
}

/** Seconds a client should wait before repeating a request that met an outage. */
const OUTAGE_RETRY_AFTER_S = 2;

/**
 * A passing failure of Redis or Postgres (a restart, a full connection table, a read-only server) as a
 * 503 whose code names the dependency and the class, e.g. `postgres_refused` or `redis_read_only`: the
 * service is unavailable for a moment, not broken, and the client may repeat the request.
 */
export function outageProblem(error: unknown): ProblemError | undefined {
  const outage = asUnavailable(error);
  if (outage === undefined) return undefined;
  return new ProblemError(
    503,
    outage.code,
    'The service is temporarily unavailable',
    `${outage.dependency === 'dependency' ? 'A dependency' : outage.dependency} is unavailable (${outage.kind.replaceAll('_', ' ')}); try again shortly`,
    { 'retry-after': String(OUTAGE_RETRY_AFTER_S) },
  );
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = toProblem(error);
    if (problem) {
      if (problem.status >= 500) request.log.warn({ code: problem.code }, problem.title);
      return send(reply, problem);
    }
    const outage = outageProblem(error);
    if (outage) {
      request.log.warn({ err: error, code: outage.code }, 'dependency unavailable');
      return send(reply, outage);
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, new ProblemError(500, 'internal_error', 'Something went wrong on our side'));
  });
  app.setNotFoundHandler((request, reply) =>
    send(
      reply,
      new ProblemError(
        404,
        'not_found',
        'No such resource',
        `${request.method} ${request.url.split('?')[0]}`,
      ),
    ),
  );
}
