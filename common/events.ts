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

export interface OutgoingEvent {
  readonly event: SubmissionEvent;
  /** Rides on the announcement only, for waiters that can use it instead of a read (any text). */
  readonly noticeData?: string | undefined;
}

/**
 * Appends events to the submission's stream and announces each, in one round trip. Returns their
 * stream ids, in order.
 */
export async function publishEvents(
  redis: Redis,
  keys: RedisKeys,
  id: string,
  events: readonly OutgoingEvent[],
): Promise<string[]> {
  const key = keys.events(id);
  const multi = redis.multi();
  for (const { event } of events)
    multi.xadd(key, 'MAXLEN', '~', String(STREAM_MAX_ENTRIES), '*', 'e', JSON.stringify(event));
  multi.expire(key, STREAM_TTL_SECONDS);
  for (const { event, noticeData } of events)
    multi.publish(
      keys.eventsChannel,
      noticeData === undefined ? `${id} ${event.type}` : `${id} ${event.type} ${noticeData}`,
    );
  const results = (await multi.exec()) ?? [];
  const ids: string[] = [];
  for (let i = 0; i < events.length; i++) {
    const [error, streamId] = results[i] ?? [new Error('event was not appended'), null];
    if (error) throw error;
    ids.push(streamId as string);
  }
  return ids;
}

export async function publishEvent(
  redis: Redis,
  keys: RedisKeys,
  id: string,
  event: SubmissionEvent,
  noticeData?: string,
): Promise<string> {
  const [streamId] = await publishEvents(redis, keys, id, [{ event, noticeData }]);
  return streamId as string;
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

export interface Notice {
  readonly id: string;
  readonly type: string;
  /** Whatever the publisher attached (the finished result, for `result`), else undefined. */
  readonly data: string | undefined;
}

/** Parses a channel message `${id} ${type}[ ${data}]`; undefined for anything malformed. */
export function parseNotice(message: string): Notice | undefined {
  const space = message.indexOf(' ');
  if (space <= 0) return undefined;
  const second = message.indexOf(' ', space + 1);
  if (second < 0) return { id: message.slice(0, space), type: message.slice(space + 1), data: undefined };
  return {
    id: message.slice(0, space),
    type: message.slice(space + 1, second),
    data: message.slice(second + 1),
  };
}
