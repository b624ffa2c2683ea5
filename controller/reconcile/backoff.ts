/**
 * Per-object exponential backoff: an object whose Docker call failed is skipped until its delay has
 * passed, so one broken service does not stall or hammer the rest of the reconcile.
 */
export interface BackoffOptions {
  /** First delay after a failure. Default 1 s. */
  readonly baseMs?: number;
  /** Ceiling of the delay. Default 5 min. */
  readonly maxMs?: number;
}

interface Entry {
  failures: number;
  until: number;
}

export class Backoff {
  readonly #entries = new Map<string, Entry>();
  readonly #base: number;
  readonly #max: number;

  constructor(options: BackoffOptions = {}) {
    this.#base = options.baseMs ?? 1_000;
    this.#max = options.maxMs ?? 300_000;
  }

  /** Milliseconds still to wait before `key` may be tried again; 0 when it may. */
  remaining(key: string, now = Date.now()): number {
    const entry = this.#entries.get(key);
    return entry ? Math.max(0, entry.until - now) : 0;
  }

  failed(key: string, now = Date.now()): number {
    const entry = this.#entries.get(key) ?? { failures: 0, until: 0 };
    entry.failures++;
    const delay = Math.min(this.#max, this.#base * 2 ** (entry.failures - 1));
    entry.until = now + delay;
    this.#entries.set(key, entry);
    return delay;
  }

  succeeded(key: string): void {
    this.#entries.delete(key);
  }

  failures(key: string): number {
    return this.#entries.get(key)?.failures ?? 0;
  }
}
