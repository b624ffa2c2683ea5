import type { Redis } from 'ioredis';
import { publishEvents } from '../../common/events.js';
import type { OutgoingEvent, SubmissionEvent } from '../../common/events.js';
import type { RedisKeys } from '../../common/keys.js';
import type { Logger } from '../../common/logger.js';

/** Output is gathered this long (or up to FLUSH_BYTES) before it becomes one stream entry. */
const FLUSH_MS = 25;
const FLUSH_BYTES = 32 * 1024;
/**
 * Live output streamed per submission. Beyond it chunks are dropped from the live stream (the stored
 * result still has every byte the output limit allowed), so a flood of output cannot fill Redis.
 */
export const LIVE_OUTPUT_BYTES = 1024 * 1024;

/**
 * Publishes one submission's live events in order. Output chunks of the same test and stream are merged
 * for a few milliseconds, so a program printing line by line costs a few entries, not thousands. Live
 * events are best effort: a Redis failure is logged and never fails the run (the result is in Postgres).
 */
export class EventPublisher {
  private readonly queue: OutgoingEvent[] = [];
  private pumping = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly gate: Promise<void>;
  private pending: { test: number; stream: 'stdout' | 'stderr'; chunks: Buffer[]; bytes: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failed = false;
  private discarded = false;
  private streamed = 0;

  /**
   * With `gate`, nothing is published before it resolves: true publishes what was held, in order; false
   * (the run turned out not to be ours) drops it and everything after.
   */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly id: string,
    private readonly logger: Logger,
    gate?: Promise<boolean>,
  ) {
    this.gate = (gate ?? Promise.resolve(true)).then(
      (ours) => {
        this.discarded = !ours;
      },
      () => {
        this.discarded = true;
      },
    );
  }

  private send(event: SubmissionEvent, noticeData?: string): void {
    this.queue.push({ event, noticeData });
    if (this.pumping) return;
    this.pumping = true;
    this.idle = this.pump();
  }

  /** Publishes what has queued up, everything waiting at once in one round trip, until none is left. */
  private async pump(): Promise<void> {
    try {
      await this.gate;
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        if (this.discarded) continue;
        const events = this.failed ? batch.filter((e) => e.event.type !== 'output') : batch;
        if (events.length === 0) continue;
        try {
          await publishEvents(this.redis, this.keys, this.id, events);
        } catch (error) {
          if (!this.failed) this.logger.warn({ err: error }, 'live event not published');
          this.failed = true;
        }
      }
    } finally {
      // Set in the same turn as the last look at the queue, so a later send starts a new pump.
      this.pumping = false;
    }
  }

  private flushOutput(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.send({
      type: 'output',
      test: p.test,
      stream: p.stream,
      data: Buffer.concat(p.chunks).toString('base64'),
    });
  }

  output(test: number, stream: 'stdout' | 'stderr', whole: Buffer): void {
    const room = LIVE_OUTPUT_BYTES - this.streamed;
    if (room <= 0) return;
    const chunk = whole.length > room ? whole.subarray(0, room) : whole;
    this.streamed += chunk.length;
    if (this.pending && (this.pending.test !== test || this.pending.stream !== stream)) this.flushOutput();
    this.pending ??= { test, stream, chunks: [], bytes: 0 };
    this.pending.chunks.push(Buffer.from(chunk));
    this.pending.bytes += chunk.length;
    if (this.pending.bytes >= FLUSH_BYTES) this.flushOutput();
    else this.timer ??= setTimeout(() => this.flushOutput(), FLUSH_MS);
  }

  /** `noticeData` rides on the announcement only (see `publishEvent`). */
  event(event: Exclude<SubmissionEvent, { type: 'output' }>, noticeData?: string): void {
    this.flushOutput();
    this.send(event, noticeData);
  }

  /** Resolves when everything given so far has been published (or given up on). */
  async flush(): Promise<void> {
    this.flushOutput();
    await this.idle;
  }
}
