import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` until it holds, and fails naming `what` once `timeoutMs` has passed. Tests wait for
 * the state they need this way, never for a fixed time that a slow machine can outlast.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
