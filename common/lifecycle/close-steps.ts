import type { Logger } from '../logger.js';

/** One part to close, named for the log line should it fail. A step may be synchronous. */
export type CloseStep = readonly [part: string, close: () => unknown];

/**
 * Closes parts in the order given, every one of them even when an earlier one fails: a failure is
 * logged with the part's name and the next step runs. Never rejects, so a caller's own cleanup after it
 * always happens. The order is the caller's to choose: users of a connection before the connection.
 */
export async function runCloseSteps(steps: readonly CloseStep[], logger: Logger): Promise<void> {
  for (const [part, close] of steps) {
    try {
      await close();
    } catch (error) {
      logger.warn({ err: error, part }, 'close step failed');
    }
  }
}
