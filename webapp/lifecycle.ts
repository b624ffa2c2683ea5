import type { Logger } from '../common/logger.js';

/**
 * Where a webapp process is in its life, as its readiness answers it. `draining` starts at the first
 * SIGTERM: readiness fails at once so that the edge stops sending new requests, while every request
 * already on its way is still served. Only after the drain delay does the HTTP server close.
 */
export type WebappState = 'serving' | 'draining' | 'closed';

export class WebappLifecycle {
  #state: WebappState = 'serving';

  constructor(private readonly logger: Logger) {}

  get state(): WebappState {
    return this.#state;
  }

  /** Moves forward only: a second signal or a late close never brings a draining process back. */
  to(next: WebappState): void {
    const order: readonly WebappState[] = ['serving', 'draining', 'closed'];
    if (order.indexOf(next) <= order.indexOf(this.#state)) return;
    this.logger.info({ from: this.#state, to: next }, `webapp ${next}`);
    this.#state = next;
  }
}
