/**
 * One executor's sandbox for slot-uids.int.test.ts, started in a PID namespace of its own as a container
 * would be: prints `uid BASE RUN_UID` (the default uid base and the uid a program ran as), then holds
 * the sandbox open until its stdin closes, so that two of them run side by side.
 */
import { createSandbox, defaultUidBase } from './index.js';
import { MiB, TEST_RUN_LIMITS } from '../../test/support/run-limits.js';

const sandbox = await createSandbox({ slots: 1 });
try {
  const ws = await sandbox.acquire({ sizeBytes: 8 * MiB });
  try {
    const r = await ws.run({
      argv: ['/usr/bin/id', '-u'],
      env: { PATH: '/usr/bin:/bin' },
      limits: TEST_RUN_LIMITS,
    });
    console.log(`uid ${defaultUidBase()} ${r.stdout.toString().trim()}`);
    await new Promise<void>((resolve) => {
      process.stdin.on('end', resolve).resume();
    });
  } finally {
    await ws.release();
  }
} finally {
  await sandbox.close();
}
