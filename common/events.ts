import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import type { SubmissionVerdict } from './verdicts.js';

/**
 * Live events of one submission. Each is appended to the submission's stream (replayable, trimmed and
 * expiring) and announced on the shared channel as `${id} ${type}` so one subscriber per webapp
 * process can wake the requests waiting on it.
 */
export type SubmissionEvent =
  | {
      readonly type: 'state';
      readonly state: 'queued' | 'running' | 'compiling' | 'testing';
      readonly test?: number;
    }
  | {
      readonly type: 'output';
      readonly test: number;
      readonly stream: 'stdout' | 'stderr';
      readonly data: string;
    }
  | { readonly type: 'result'; readonly verdict: SubmissionVerdict }
  | { readonly type: 'cancelled' };

export type SubmissionEventType = SubmissionEvent['type'];

/** Streams live this long after their last event; the result itself is in Postgres. */
const STREAM_TTL_SECONDS = 3_600;
/** Upper bound of entries per stream; output is already capped per run, this is a backstop. */
const STREAM_MAX_ENTRIES = 10_000;

export async function publishEvent(
  redis: Redis,
  keys: RedisKeys,
  id: string,
  event: SubmissionEvent,
): Promise<string> {
  const key = keys.events(id);
  const results = await redis
    .multi()
    .xadd(key, 'MAXLEN', '~', String(STREAM_MAX_ENTRIES), '*', 'e', JSON.stringify(event))
    .expire(key, STREAM_TTL_SECONDS)
    .publish(keys.eventsChannel, `${id} ${event.type}`)
    .exec();
  const first = results?.[0];
  if (!first || first[0]) throw first?.[0] ?? new Error('event was not appended');
  return first[1] as string;
}

export interface StoredEvent {
  readonly streamId: string;
  readonly event: SubmissionEvent;
}

/** Events after `afterId` (exclusive; "-" for all), oldest first. */
export async function readEvents(
  redis: Redis,
  keys: RedisKeys,
  id: string,
  afterId: string,
  count = 1000,
): Promise<StoredEvent[]> {
  const start = afterId === '-' ? '-' : `(${afterId}`;
  const entries = await redis.xrange(keys.events(id), start, '+', 'COUNT', count);
  const events: StoredEvent[] = [];
  for (const [streamId, fields] of entries) {
    const json = fields[1];
    if (json === undefined) continue;
    events.push({ streamId, event: JSON.parse(json) as SubmissionEvent });
  }
  return events;
}

/** Parses a channel message; undefined for anything malformed. */
export function parseNotice(message: string): { id: string; type: string } | undefined {
  const space = message.indexOf(' ');
  if (space <= 0) return undefined;
  return { id: message.slice(0, space), type: message.slice(space + 1) };
}
