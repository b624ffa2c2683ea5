import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';

/**
 * A Redis and a Postgres of a test's own, on free ports, that the test may stop, kill, pause or fill up
 * without touching the machine's shared servers. Each restarts on the same port and data directory, as
 * a restarted Swarm task does.
 */

export interface DisposableServer {
  readonly port: number;
  readonly url: string;
  /** Running now (not stopped or killed). */
  readonly running: boolean;
  /** A clean shutdown, as `docker stop` asks for. */
  stop(): Promise<void>;
  /** SIGKILL, as `docker kill` or the OOM killer does. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP and SIGCONT: the server holds its connections and answers nothing, as a stalled host does. */
  pause(): void;
  resume(): void;
  /** Stops it and removes its data. Idempotent. */
  close(): Promise<void>;
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await sleep(50);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A redis-server with its data in a temporary folder; `args` are extra `--option value` pairs. */
export async function startDisposableRedis(args: readonly string[] = []): Promise<DisposableServer> {
  const dir = await mkdtemp(join(tmpdir(), 'remcode-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';
  const start = async (): Promise<void> => {
    log = '';
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    proc.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await until(`redis-server on ${port}`, () => {
      if (proc.exitCode !== null) throw new Error(`redis-server exited:\n${log}`);
      return /Ready to accept connections/.test(log);
    });
  };
  const signalAndWait = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited(proc);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined;
    },
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async close() {
      child?.kill('SIGCONT');
      await signalAndWait('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))[0]
    : undefined;
  if (version === undefined) throw new Error('no Postgres server binaries in /usr/lib/postgresql');
  return join(root, version, 'bin');
}

/** Postgres refuses to run as root; as root, its commands run as the `postgres` user. */
function asPostgres(command: string, args: readonly string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, [...args]];
}

/**
 * A Postgres cluster of its own (trust authentication, user `postgres`, database `postgres`);
 * `settings` are extra `-c name=value` pairs, such as max_connections.
 */
export async function startDisposablePostgres(settings: readonly string[] = []): Promise<DisposableServer> {
  const bin = postgresBin();
  const dir = await mkdtemp(join(tmpdir(), 'remcode-pg-'));
  if (process.getuid?.() === 0) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gids = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    await chown(dir, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  }
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asPostgres(join(bin, 'initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stderr}`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';
  const options = [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    ...settings.flatMap((s) => ['-c', s]),
  ];
  const start = async (): Promise<void> => {
    log = '';
    const [cmd, args] = asPostgres(join(bin, 'postgres'), options);
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await until(`postgres on ${port}`, () => {
      if (proc.exitCode !== null) throw new Error(`postgres exited:\n${log}`);
      return /database system is ready to accept connections/.test(log);
    });
  };
  // Signals go to the postmaster itself (runuser in between does not pass them all on): SIGINT is
  // Postgres's fast shutdown.
  const signalAndWait = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    const pid = postmaster();
    if (pid !== undefined) spawnSync('kill', [`-${signal}`, String(pid)]);
    await exited(proc);
  };
  /** Gone, or a zombie waiting for whoever inherited it to reap it: either way it holds nothing. */
  const ended = (pid: string): boolean => {
    try {
      return /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return true;
    }
  };
  /** The postmaster's own pid: SIGKILL of runuser would leave it running. */
  const postmaster = (): number | undefined => {
    const out = spawnSync('head', ['-1', join(data, 'postmaster.pid')], { encoding: 'utf8' });
    const pid = Number(out.stdout.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };
  await start();
  const kill = async (): Promise<void> => {
    const pid = postmaster();
    const proc = child;
    child = undefined;
    // The postmaster and every backend at once, as `docker kill` ends a whole container. A backend
    // left alive would notice its postmaster gone only at its next wait, and might first answer a
    // query on a connection the test expects to find reset; once orphaned, `pgrep -P` no longer
    // finds it. A new postmaster also refuses to start while old backends hold the shared memory.
    const pids =
      pid === undefined
        ? []
        : [
            String(pid),
            ...spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
              .stdout.split('\n')
              .map((line) => line.trim())
              .filter((line) => /^\d+$/.test(line)),
          ];
    if (pids.length > 0) {
      spawnSync('kill', ['-CONT', ...pids]);
      spawnSync('kill', ['-KILL', ...pids]);
    }
    if (proc) await exited(proc);
    await until('the killed postgres and its backends to end', () => pids.every(ended));
  };
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    get running() {
      return child !== undefined;
    },
    stop: () => signalAndWait('SIGINT'),
    kill,
    start,
    pause() {
      const pid = postmaster();
      if (pid !== undefined) spawnSync('pkill', ['-STOP', '-P', String(pid)]);
      if (pid !== undefined) process.kill(pid, 'SIGSTOP');
    },
    resume() {
      const pid = postmaster();
      if (pid !== undefined) process.kill(pid, 'SIGCONT');
      if (pid !== undefined) spawnSync('pkill', ['-CONT', '-P', String(pid)]);
      // runuser stops itself when its child stops, and would then never see it exit.
      child?.kill('SIGCONT');
    },
    async close() {
      if (child) {
        child.kill('SIGCONT');
        const pid = postmaster();
        if (pid !== undefined) spawnSync('pkill', ['-CONT', '-P', String(pid)]);
        if (pid !== undefined) process.kill(pid, 'SIGCONT');
        await signalAndWait('SIGQUIT');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
