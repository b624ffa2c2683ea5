import type { Redis } from 'ioredis';
import { parseNotice } from '../../common/events.js';
import type { Logger } from '../../common/logger.js';

/** Called with the notice's type and what the publisher attached to it (see `publishEvent`). */
export type NoticeListener = (type: string, data: string | undefined) => void;

export interface WaitOutcome {
  readonly type: string;
  readonly data: string | undefined;
}

/**
 * One Redis subscriber per webapp process, fanning event notices out to the requests that wait on a
 * submission (`?wait=true` and SSE followers). Listeners register before they re-read state, so a notice
 * arriving in between is never missed.
 */
export class NoticeHub {
  private readonly listeners = new Map<string, Set<NoticeListener>>();
  private closed = false;
  private readonly onMessage = (_channel: string, message: string): void => this.dispatch(message);

  private constructor(
    private readonly subscriber: Redis,
    private readonly logger: Logger,
  ) {}

  static async start(subscriber: Redis, channel: string, logger: Logger): Promise<NoticeHub> {
    const hub = new NoticeHub(subscriber, logger);
    subscriber.on('message', hub.onMessage);
    await subscriber.subscribe(channel);
    return hub;
  }

  private dispatch(message: string): void {
    const notice = parseNotice(message);
    if (!notice) return;
    const set = this.listeners.get(notice.id);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(notice.type, notice.data);
      } catch (error) {
        this.logger.warn({ err: error }, 'notice listener failed');
      }
    }
  }

  /** Registers a listener for one submission; call the returned function to remove it. */
  listen(id: string, listener: NoticeListener): () => void {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(id);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(id);
    };
  }

  /** Resolves with the first notice whose type is in `types`, or null after `timeoutMs` or on abort. */
  waitFor(
    id: string,
    types: readonly string[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): { ready: Promise<WaitOutcome | null>; cancel: () => void } {
    let stop = (): void => undefined;
    const ready = new Promise<WaitOutcome | null>((resolve) => {
      const timer = setTimeout(() => finish(null), timeoutMs);
      const unlisten = this.listen(id, (type, data) => {
        if (types.includes(type)) finish({ type, data });
      });
      const onAbort = (): void => finish(null);
      signal?.addEventListener('abort', onAbort, { once: true });
      function finish(value: WaitOutcome | null): void {
        clearTimeout(timer);
        unlisten();
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      }
      stop = () => finish(null);
    });
    return { ready, cancel: () => stop() };
  }

  get waiting(): number {
    return this.listeners.size;
  }

  /** Stops fanning out; the subscriber belongs to whoever created it, who closes it afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.subscriber.off('message', this.onMessage);
  }
}
