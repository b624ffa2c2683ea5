/**
 * Starts a real RemCode service for the browser tests: the webapp and one executor as child processes,
 * on a free port, with their own Postgres database and Redis prefix so nothing leaks between runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_REDIS_URL, createTestDatabase, deleteRedisPrefix, testPrefix } from '../support/isolation.js';
import { freePort } from '../support/ports.js';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface Service {
  readonly url: string;
  /** The Redis key prefix of this service. */
  readonly prefix: string;
  readonly logs: () => string;
  /** Kills the webapp outright (SIGKILL), as the OOM killer or a failed node would. */
  killWebapp(): Promise<void>;
  /** Starts the webapp again on the same port and resolves once it is ready. */
  startWebapp(): Promise<void>;
  close(): Promise<void>;
}

/** Builds dist/ui when it is missing, so the test can run on its own as well as after `npm run build`. */
export async function ensureUiBuilt(): Promise<void> {
  if (existsSync(join(ROOT, 'dist', 'ui', 'index.html'))) return;
  await run('npm', ['run', '-s', 'build:ui']);
}

async function run(command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
}

function start(entry: string, env: NodeJS.ProcessEnv, log: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer): void => {
    log.push(`[${entry}] ${chunk.toString()}`);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export interface ServiceOptions {
  /** Start an executor too (default true); the service waits until it has published its languages. */
  readonly executor?: boolean;
  /** Extra environment for both programs, such as a small REMCODE_QUEUE_MAX. */
  readonly env?: Readonly<Record<string, string>>;
}

export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const db = await createTestDatabase();
  const prefix = testPrefix();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REMCODE_PREFIX: prefix,
    EXECUTOR_SLOTS: '2',
    EXECUTOR_METRICS_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const log: string[] = [];
  const children: ChildProcess[] = [start('webapp/main.ts', env, log)];
  if (options.executor !== false) children.push(start('executor/main.ts', env, log));
  const url = `http://127.0.0.1:${port}`;
  const killWebapp = async (): Promise<void> => {
    const webapp = children[0];
    if (!webapp || webapp.exitCode !== null || webapp.signalCode !== null) return;
    const exited = new Promise((resolve) => webapp.once('exit', resolve));
    webapp.kill('SIGKILL');
    await exited;
  };
  const startWebapp = async (): Promise<void> => {
    await killWebapp();
    children[0] = start('webapp/main.ts', env, log);
    await waitUntil(url, children, log, options.executor !== false);
  };
  const close = async (): Promise<void> => {
    await Promise.allSettled(children.map(stop));
    await db.drop();
    await deleteRedisPrefix(prefix);
  };
  try {
    await waitUntil(url, children, log, options.executor !== false);
  } catch (error) {
    await close();
    throw error;
  }
  return { url, prefix, logs: () => log.join(''), killWebapp, startWebapp, close };
}

async function waitUntil(
  url: string,
  children: ChildProcess[],
  log: string[],
  needLanguages: boolean,
): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const dead = children.find((c) => c.exitCode !== null);
    if (dead) throw new Error(`a service process exited with ${dead.exitCode}:\n${log.join('')}`);
    try {
      const ready = await fetch(`${url}/readyz`);
      if (ready.ok) {
        if (!needLanguages) return;
        const languages = (await (await fetch(`${url}/api/v1/languages`)).json()) as {
          id: string;
          available: boolean;
        }[];
        if (languages.some((l) => l.available)) return;
      }
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`the service did not become ready:\n${log.join('')}`);
}
