import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';

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

/** Errors of Redis or Postgres being unreachable: the service is unavailable, not broken. */
function isUnavailable(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  const text = `${error.name} ${typeof code === 'string' ? code : ''} ${error.message}`;
  return /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|MaxRetriesPerRequest|Connection is closed|connect|timeout exceeded when trying to connect/i.test(
    text,
  );
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = toProblem(error);
    if (problem) {
      if (problem.status >= 500) request.log.warn({ code: problem.code }, problem.title);
      return send(reply, problem);
    }
    if (isUnavailable(error)) {
      request.log.error({ err: error }, 'dependency unavailable');
      return send(
        reply,
        new ProblemError(503, 'unavailable', 'The service is temporarily unavailable', undefined, {
          'retry-after': '5',
        }),
      );
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
