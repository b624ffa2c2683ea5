import type { Logger } from './logger.js';

/**
 * The one place a program reacts to SIGTERM and SIGINT: the first starts a graceful drain, a second one
 * or the deadline forces exit. `drain` resolves when everything is closed. A deadline given as a function
 * is read when the first signal arrives (an executor asked to retire drains longer than a stopped one).
 */
export function handleSignals(
  logger: Logger,
  drain: (signal: NodeJS.Signals) => Promise<void>,
  deadline: number | (() => number),
): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    draining = true;
    const deadlineMs = typeof deadline === 'number' ? deadline : deadline();
    logger.info({ signal, deadlineMs }, 'draining');
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, 'drain deadline passed: exiting now');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    drain(signal).then(
      () => {
        logger.info('drained; exiting');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
