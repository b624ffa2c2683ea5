#!/usr/bin/env node
/**
 * remcode-run: run one program in the sandbox from the command line and print the result as JSON.
 * `remcode-run --help` explains the options; the work is done in run-command.ts.
 */
import { createSandbox } from '../sandbox/index.js';
import { runCommand } from './run-command.js';

const controller = new AbortController();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // The first signal cancels the run so the sandbox is torn down cleanly; a second one exits at once.
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  });
}

process.exitCode = await runCommand(process.argv.slice(2), process, {
  createSandbox,
  signal: controller.signal,
});
