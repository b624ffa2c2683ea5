import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ProblemError, outageProblem } from '../../api/errors.js';
import { Judge0FieldErrors } from './request.js';
import { InvalidFieldsError, NotUtf8Error } from './view.js';

/** A refusal Judge0 answers as `{error: message}` with its own status (400 for a bad batch, 404). */
export class Judge0HttpError extends Error {
  override readonly name = 'Judge0HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/**
 * Judge0's shapes for every failure of its routes: field errors as 422 `{field: [messages]}`, the rest
 * as `{error: message}`, and a passing Redis or Postgres outage as 503 with RemCode's retry headers.
 */
export function judge0ErrorReply(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof Judge0FieldErrors) return reply.code(422).send(error.errors);
  if (error instanceof Judge0HttpError)
    return reply.code(error.status).send({ error: error.message, ...error.extra });
  if (error instanceof InvalidFieldsError) return reply.code(400).send({ error: error.message });
  if (error instanceof NotUtf8Error) return reply.code(400).send({ error: error.message });
  if (error.code === 'FST_ERR_VALIDATION') {
    const first = error.validation?.[0];
    const field =
      first?.instancePath
        .split('/')
        .filter((p) => p !== '')
        .join('.') ?? '';
    return field !== ''
      ? reply.code(422).send({ [field]: [first?.message ?? 'is not valid'] })
      : reply.code(400).send({ error: error.message });
  }
  const outage = error instanceof ProblemError ? undefined : outageProblem(error);
  if (outage) {
    // Judge0 would answer 500; a passing Redis or Postgres outage is worth a retry, so say so.
    request.log.warn({ err: error, code: outage.code }, 'dependency unavailable');
    for (const [name, value] of Object.entries(outage.headers)) void reply.header(name, value);
    return reply.code(503).send({ error: `${outage.title}: ${outage.detail ?? ''}` });
  }
  if (error instanceof ProblemError) {
    for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
    if (error.code === 'queue_full') return reply.code(503).send({ error: 'queue is full' });
    const message = error.detail !== undefined ? `${error.title}: ${error.detail}` : error.title;
    return reply.code(error.status).send({ error: message });
  }
  if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message)))
    return reply.code(400).send({ error: 'the body is not valid JSON' });
  if (error.statusCode !== undefined && error.statusCode < 500)
    return reply.code(error.statusCode).send({ error: error.message });
  request.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send({ error: 'something went wrong on our side' });
}
