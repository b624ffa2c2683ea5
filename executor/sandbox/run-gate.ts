/**
 * Bounds how many programs run at once across a sandbox's slots. A sandbox may keep more slots than it
 * runs programs (standby slots): a job waits in one with its workspace filled, and starts the moment a
 * running program ends, while the slot that ran it prepares its next box off everyone's clock.
 */
export class RunGate {
  #free: number;
  readonly #waiters: { grant(): void; fail(error: Error): void }[] = [];
  #closed: Error | undefined;

  constructor(readonly limit: number) {
    this.#free = limit;
  }

  /** Programs running now. */
  get running(): number {
    return this.limit - this.#free;
  }

  /**
   * Resolves with the function that gives the place back (idempotent) once a program may start. Waiters
   * are served in arrival order; an aborted signal withdraws one with the signal's reason.
   */
  enter(signal?: AbortSignal): Promise<() => void> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(this.#leaver());
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(abortError(signal!));
      };
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#leaver());
        },
        fail: (error: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Fails every waiter and every later `enter` with `error`. */
  close(error: Error): void {
    this.#closed ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.fail(error);
  }

  #leaver(): () => void {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      // The place passes straight to the next waiter, so nobody can overtake it in between.
      const next = this.#waiters.shift();
      if (next) next.grant();
      else this.#free++;
    };
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
