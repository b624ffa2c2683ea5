import type { Logger } from '../logger.js';

/** One part to close, named for the log line should it fail. A step may be synchronous. */
export type CloseStep = readonly [part: string, close: () => unknown];

/** A step, or steps closed side by side (parts that each wait for their own work to end). */
export type CloseStage = CloseStep | readonly CloseStep[];

/**
 * Closes parts in the order given, every one of them even when an earlier one fails: a failure is
 * logged with the part's name and the next stage runs. Never rejects, so a caller's own cleanup after
 * it always happens. The order is the caller's to choose: users of a connection before the connection,
 * since whoever creates a connection closes it, after everything it handed the connection to.
 */
export async function runCloseSteps(stages: readonly CloseStage[], logger: Logger): Promise<void> {
  const run = async ([part, close]: CloseStep): Promise<void> => {
    try {
      await close();
    } catch (error) {
      logger.warn({ err: error, part }, 'close step failed');
    }
  };
  for (const stage of stages) {
    if (isStep(stage)) await run(stage);
    else await Promise.all(stage.map(run));
  }
}

function isStep(stage: CloseStage): stage is CloseStep {
  return typeof stage[0] === 'string';
}
