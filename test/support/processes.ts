import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs a RemCode program (webapp, executor or controller) from source as a real child process, for tests
 * and the benchmark that kill, restart and signal it.
 */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything printed so far (pino JSON lines). */
  output(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Resolves with the first log line matching, or rejects after the timeout or at exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal: NodeJS.Signals): void;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The environment a webapp and an executor share in a test: one database, one Redis prefix, ports the
 * kernel picks, metrics on loopback. `extra` adds to it or overrides it.
 */
export function platformEnv(
  where: { readonly databaseUrl: string; readonly redisUrl: string; readonly prefix: string },
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    DATABASE_URL: where.databaseUrl,
    REDIS_URL: where.redisUrl,
    REMCODE_PREFIX: where.prefix,
    PORT: '0',
    EXECUTOR_METRICS_PORT: '0',
    EXECUTOR_METRICS_HOST: '127.0.0.1',
    ...extra,
  };
}

export function startService(
  program: 'webapp' | 'executor' | 'controller',
  env: Readonly<Record<string, string>>,
  args: readonly string[] = [],
): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `${program}/main.ts`, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const waiter of [...waiters]) waiter();
    });
  });
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const line = text.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) finish(() => resolve(line));
          else if (child.exitCode !== null || child.signalCode !== null)
            finish(() =>
              reject(new Error(`${program} exited before ${String(pattern)}:\n${text.slice(-3000)}`)),
            );
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(`${program}: no ${String(pattern)} after ${timeoutMs} ms:\n${text.slice(-3000)}`),
              ),
            ),
          timeoutMs,
        );
        const finish = (action: () => void): void => {
          clearTimeout(timer);
          waiters.delete(check);
          action();
        };
        waiters.add(check);
        check();
      });
    },
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Starts a webapp and resolves with its base URL once it listens. */
export async function startWebapp(
  env: Readonly<Record<string, string>>,
): Promise<{ process: ServiceProcess; url: string }> {
  const process = startService('webapp', env);
  const line = await process.waitFor(/RemCode webapp listening/).catch((error: unknown) => {
    process.kill('SIGKILL');
    throw error;
  });
  const url = /listening on (http:\/\/[^"\s]+)/.exec(line)?.[1];
  if (url === undefined) throw new Error(`cannot read the address from ${line}`);
  return { process, url };
}

export async function startExecutor(env: Readonly<Record<string, string>>): Promise<ServiceProcess> {
  const process = startService('executor', env);
  await process.waitFor(/"executor running"/).catch((error: unknown) => {
    process.kill('SIGKILL');
    throw error;
  });
  return process;
}
