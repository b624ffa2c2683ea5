import { StringDecoder } from 'node:string_decoder';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readEvents } from '../../common/events.js';
import type { StoredEvent } from '../../common/events.js';
import type { Submission } from '../../common/submission.js';
import type { ApiContext } from '../context.js';
import { submissionView } from './view.js';

/** A comment line this often keeps proxies from closing an idle stream, and re-checks the row. */
const KEEPALIVE_MS = 15_000;
const STREAM_ID = /^\d+-\d+$/;

/**
 * Server-Sent Events of one submission: the stream is replayed from the start (or after Last-Event-ID)
 * and then followed; every entry is sent once, in stream order, identified by its stream id. The stream
 * ends with `result` (the full submission, read from Postgres) or `cancelled`.
 */
export async function streamEvents(
  ctx: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  initial: Submission,
  lastEventId: string | undefined,
  shutdown: AbortSignal,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    // One stream per connection: closing it with the stream lets a shutting-down server exit at once.
    connection: 'close',
    'x-accel-buffering': 'no',
  });
  let closed = false;
  let wake: (() => void) | undefined;
  let pending = true;
  raw.once('close', () => {
    closed = true;
    wake?.();
  });
  // On server shutdown streams end; clients reconnect (to another replica) with Last-Event-ID.
  let stopping = shutdown.aborted;
  const onShutdown = (): void => {
    stopping = true;
    wake?.();
  };
  shutdown.addEventListener('abort', onShutdown, { once: true });
  // Registered before the first read, so a notice between the read and the wait is not lost.
  const unlisten = ctx.hub.listen(initial.id, () => {
    pending = true;
    wake?.();
  });
  const decoders = new Map<string, StringDecoder>();
  const write = (chunk: string): void => {
    if (!closed) raw.write(chunk);
  };
  const send = (event: string, data: unknown, id?: string): void => {
    write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const sendResult = async (id?: string): Promise<boolean> => {
    const s = await ctx.store.get(initial.id);
    if (!s) {
      send('cancelled', { id: initial.id }, id);
      return true;
    }
    if (s.state !== 'finished') return false;
    send('result', submissionView(s), id);
    return true;
  };

  let after = lastEventId !== undefined && STREAM_ID.test(lastEventId) ? lastEventId : '-';
  let done = false;
  try {
    write('retry: 1000\n\n');
    if (after === '-') send('state', { state: initial.state });
    let sawAny = false;
    let firstPass = true;
    while (!done && !closed && !stopping) {
      pending = false;
      const events: StoredEvent[] = await readEvents(ctx.redis, ctx.keys, initial.id, after);
      for (const { streamId, event } of events) {
        after = streamId;
        sawAny = true;
        if (event.type === 'output') {
          let data = event.data;
          if (initial.encoding === 'utf8') {
            const key = `${event.test}:${event.stream}`;
            let decoder = decoders.get(key);
            if (!decoder) decoders.set(key, (decoder = new StringDecoder('utf8')));
            data = decoder.write(Buffer.from(event.data, 'base64'));
          }
          send('output', { test: event.test, stream: event.stream, data }, streamId);
        } else if (event.type === 'state') {
          send(
            'state',
            { state: event.state, ...(event.test !== undefined ? { test: event.test } : {}) },
            streamId,
          );
        } else {
          done =
            event.type === 'cancelled'
              ? (send('cancelled', { id: initial.id }, streamId), true)
              : await sendResult(streamId);
          if (done) break;
        }
      }
      if (done || closed) break;
      if (events.length >= 1000) continue;
      // A finished submission whose stream has expired (or never reached Redis) is answered from Postgres.
      if (firstPass && !sawAny && (initial.state === 'finished' || initial.state === 'cancelled')) {
        done = await sendResult();
        if (done) break;
      }
      firstPass = false;
      if (!pending) {
        const woke = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), KEEPALIVE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
          if (pending || closed || stopping) wake();
        });
        wake = undefined;
        if (!woke && !closed && !stopping) {
          write(': keepalive\n\n');
          // The result notice may have been lost while Redis was unreachable; Postgres is the truth.
          const s = await ctx.store.get(initial.id);
          if (!s || s.state === 'finished') done = await sendResult();
        }
      }
    }
  } catch (error) {
    request.log.warn({ err: error, id: initial.id }, 'event stream failed');
    send('error', { code: 'stream_failed', title: 'The event stream was interrupted; reconnect to resume' });
  } finally {
    // Ended by this replica's shutdown, not by the submission: tell clients that are not EventSource
    // to reconnect (through the edge, to another replica) with Last-Event-ID; EventSource does anyway.
    if (stopping && !done) send('reconnect', { reason: 'server_shutdown', retry_ms: 1000 });
    shutdown.removeEventListener('abort', onShutdown);
    unlisten();
    if (!closed) raw.end();
  }
}
