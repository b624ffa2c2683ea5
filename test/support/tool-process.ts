/**
 * A server program the tests run from its Debian package (Prometheus, HAProxy): its output kept for
 * failure messages, and one idempotent close that stops it with its own graceful signal, waits for it
 * to exit and removes its scratch folder.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';

export interface ToolProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  readonly output: () => string;
  readonly close: () => Promise<void>;
}

export function startTool(
  command: string,
  args: readonly string[],
  options: {
    readonly env?: NodeJS.ProcessEnv;
    readonly stopSignal: NodeJS.Signals;
    /** Removed once the program has exited. */
    readonly scratchDir: string;
  },
): ToolProcess {
  const child = spawn(command, [...args], {
    ...(options.env !== undefined ? { env: options.env } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let closing: Promise<void> | undefined;
  return {
    child,
    output: () => text,
    close: () => {
      closing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(options.stopSignal);
        await exited;
        await rm(options.scratchDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
