/**
 * Shared pieces of the adversarial sandbox suite: the hostile programs (C compiled once on the host,
 * Python and shell as they are), limits small enough to keep the suite quick, a one-shot runner, and
 * the host-side inspection that proves a run left nothing behind.
 */
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ownCgroupDirs } from '../support/cgroups.js';

import type {
  RunLimits,
  RunRequest,
  RunResult,
  Sandbox,
  Workspace,
  WorkspaceFile,
} from '../../executor/sandbox/types.js';

const execFileAsync = promisify(execFile);

export const KiB = 1024;
export const MiB = 1024 * KiB;

export const PROGRAMS_DIR = fileURLToPath(new URL('./programs/', import.meta.url));

/** Limits of a run in this suite: small, so that every bomb hits a wall quickly. */
export const RUN_LIMITS: RunLimits = {
  cpuTimeMs: 1000,
  wallTimeMs: 3000,
  memoryBytes: 64 * MiB,
  processes: 16,
  outputBytes: 64 * KiB,
  fileSizeBytes: 16 * MiB,
  openFiles: 64,
  stackBytes: 8 * MiB,
  tmpBytes: 8 * MiB,
};

/** Limits of a compile step: what a real compile needs, still small enough that a bomb ends fast. */
export const COMPILE_LIMITS: RunLimits = {
  cpuTimeMs: 3000,
  wallTimeMs: 6000,
  memoryBytes: 256 * MiB,
  processes: 16,
  outputBytes: 64 * KiB,
  fileSizeBytes: 64 * MiB,
  openFiles: 256,
  stackBytes: 8 * MiB,
  tmpBytes: 64 * MiB,
};

export const WORKSPACE_BYTES = 16 * MiB;
export const SANDBOX_ENV: Readonly<Record<string, string>> = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };

/** Files to place in a workspace and the argv that starts them. */
export interface Program {
  readonly files: readonly WorkspaceFile[];
  readonly argv: readonly string[];
}

/** Compiles every `programs/*.c` on the host, in parallel, so no test pays for a compile in the sandbox. */
export async function compileCPrograms(): Promise<Map<string, Buffer>> {
  const sources = (await readdir(PROGRAMS_DIR)).filter((f) => f.endsWith('.c') && !f.startsWith('compile_'));
  const dir = await mkdtemp(join(tmpdir(), 'remcode-hostile-'));
  try {
    const binaries = await Promise.all(
      sources.map(async (source) => {
        const name = source.slice(0, -2);
        const out = join(dir, name);
        await execFileAsync('gcc', ['-O0', '-pthread', '-o', out, join(PROGRAMS_DIR, source)]);
        return [name, await readFile(out)] as const;
      }),
    );
    return new Map(binaries);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function binary(binaries: ReadonlyMap<string, Buffer>, name: string): Buffer {
  const content = binaries.get(name);
  if (content === undefined) throw new Error(`no compiled program ${name}`);
  return content;
}

export function cProgram(binaries: ReadonlyMap<string, Buffer>, name: string, ...args: string[]): Program {
  const content = binary(binaries, name);
  return { files: [{ path: name, content, mode: 0o755 }], argv: [`/box/${name}`, ...args] };
}

/**
 * Runs one of the compiled programs directly on the host, outside any sandbox, for the tests whose
 * expectation depends on the host kernel rather than on the sandbox.
 */
export async function runOnHost(
  binaries: ReadonlyMap<string, Buffer>,
  name: string,
  ...args: string[]
): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }> {
  const content = binary(binaries, name);
  const dir = await mkdtemp(join(tmpdir(), 'remcode-host-'));
  try {
    const file = join(dir, name);
    await writeFile(file, content);
    await chmod(file, 0o755);
    return await new Promise((resolve, reject) => {
      const child = execFile(file, args, { timeout: 5_000 }, () => undefined);
      child.on('error', reject);
      child.on('exit', (exitCode, signal) => resolve({ exitCode, signal }));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function scriptProgram(file: string, ...args: string[]): Promise<Program> {
  const content = await readFile(join(PROGRAMS_DIR, file));
  const interpreter = file.endsWith('.py') ? '/usr/bin/python3' : file.endsWith('.sh') ? '/bin/bash' : null;
  if (interpreter === null) throw new Error(`no interpreter for ${file}`);
  return { files: [{ path: file, content, mode: 0o755 }], argv: [interpreter, `/box/${file}`, ...args] };
}

export async function sourceFile(file: string): Promise<WorkspaceFile> {
  return { path: file, content: await readFile(join(PROGRAMS_DIR, file)) };
}

export interface RunOptions {
  readonly limits?: Partial<RunLimits>;
  readonly env?: Readonly<Record<string, string>> | null;
  readonly stdin?: Uint8Array;
  readonly cwd?: string;
  readonly onOutput?: RunRequest['onOutput'];
  readonly signal?: AbortSignal;
}

export function request(argv: readonly string[], options: RunOptions = {}): RunRequest {
  const env = options.env === undefined ? SANDBOX_ENV : options.env;
  return {
    argv,
    limits: { ...RUN_LIMITS, ...options.limits },
    ...(env === null ? {} : { env }),
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
}

/** Acquires a fresh workspace, always releasing it, even when the body throws. */
export async function withWorkspace<T>(
  sandbox: Sandbox,
  body: (ws: Workspace) => Promise<T>,
  sizeBytes = WORKSPACE_BYTES,
): Promise<T> {
  const ws = await sandbox.acquire({ sizeBytes });
  try {
    return await body(ws);
  } finally {
    await ws.release();
  }
}

/** One job with one run: the common case of this suite. */
export async function runProgram(
  sandbox: Sandbox,
  program: Program,
  options: RunOptions & { readonly workspaceBytes?: number } = {},
): Promise<RunResult> {
  return withWorkspace(
    sandbox,
    async (ws) => {
      await ws.writeFiles(program.files);
      return ws.run(request(program.argv, options));
    },
    options.workspaceBytes,
  );
}

/** The parts of a result a test asserts on, with output as text, so a failure shows everything at once. */
export function outcome(r: RunResult): {
  verdict: RunResult['verdict'];
  timeLimit: RunResult['timeLimit'];
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
} {
  return {
    verdict: r.verdict,
    timeLimit: r.timeLimit,
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
  };
}

export function lines(buf: Buffer): string[] {
  return buf
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------
// Host-side inspection. Reads /proc, /sys/fs/cgroup, /tmp and /dev/shm of the host; never touches a
// sandbox directory.

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly uids: readonly number[];
  readonly state: string;
  readonly name: string;
}

async function readProc(pid: number): Promise<ProcInfo | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (key: string): string => status.match(new RegExp(`^${key}:\\s*(.*)$`, 'm'))?.[1] ?? '';
    return {
      pid,
      ppid: Number(field('PPid')),
      uids: field('Uid').split(/\s+/).map(Number),
      state: field('State'),
      name: field('Name'),
    };
  } catch {
    return null;
  }
}

async function allProcesses(): Promise<ProcInfo[]> {
  const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
  const infos = await Promise.all(pids.map(readProc));
  return infos.filter((p): p is ProcInfo => p !== null);
}

async function exeKey(pid: number): Promise<string | null> {
  try {
    const s = await stat(`/proc/${pid}/exe`);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

/** The executables of the pool itself (helpers and whatever they keep pre-forked), by device and inode. */
export interface HostBaseline {
  readonly uids: readonly number[];
  readonly poolExecutables: ReadonlySet<string>;
  readonly cgroupDirs: ReadonlyMap<string, number>;
}

async function cgroupTree(name: string): Promise<Map<string, string[]>> {
  // Below this process's own cgroup in every hierarchy, where the sandbox it starts makes its own.
  let roots: string[] = [];
  try {
    roots = ownCgroupDirs().map((dir) => `${dir}/${name}`);
  } catch {
    // No cgroup filesystem at all: the sandbox would not have started, so there is nothing to inspect.
  }
  const tree = new Map<string, string[]>();
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const root = roots.find((r) => dir === r || dir.startsWith(`${r}/`)) ?? dir;
    tree.set(root, [...(tree.get(root) ?? []), dir]);
    if (depth >= 4) return;
    await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => walk(join(dir, e.name), depth + 1)));
  };
  await Promise.all(roots.map((r) => walk(r, 0)));
  return tree;
}

export async function captureBaseline(uids: readonly number[], cgroupName: string): Promise<HostBaseline> {
  const procs = await allProcesses();
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const descendants: number[] = [];
  const queue = [process.pid];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    for (const child of children.get(pid) ?? []) {
      descendants.push(child);
      queue.push(child);
    }
  }
  const inRange = procs.filter((p) => p.uids.some((u) => uids.includes(u))).map((p) => p.pid);
  const keys = await Promise.all([...descendants, ...inRange].map(exeKey));
  const tree = await cgroupTree(cgroupName);
  return {
    uids,
    poolExecutables: new Set(keys.filter((k): k is string => k !== null)),
    cgroupDirs: new Map([...tree].map(([root, dirs]) => [root, dirs.length])),
  };
}

/** Everything a run could have left on the host, described for a readable assertion failure. */
export async function hostLeftovers(baseline: HostBaseline, cgroupName: string): Promise<string[]> {
  const found: string[] = [];
  for (const p of await allProcesses()) {
    if (!p.uids.some((u) => baseline.uids.includes(u))) continue;
    const key = await exeKey(p.pid);
    if (key !== null && baseline.poolExecutables.has(key)) continue;
    found.push(`process ${p.pid} (${p.name}, state ${p.state}, uid ${p.uids.join('/')}) outlived its run`);
  }
  for (const [root, dirs] of await cgroupTree(cgroupName)) {
    const before = baseline.cgroupDirs.get(root) ?? 0;
    if (dirs.length > before) found.push(`${root} holds ${dirs.length} cgroups, ${before} after warm-up`);
    for (const dir of dirs) {
      let procs: string;
      try {
        procs = await readFile(join(dir, 'cgroup.procs'), 'utf8');
      } catch {
        continue;
      }
      for (const pid of procs.split('\n').filter((l) => l.length > 0)) {
        const key = await exeKey(Number(pid));
        if (key !== null && !baseline.poolExecutables.has(key))
          found.push(`process ${pid} remains in cgroup ${dir}`);
      }
    }
  }
  for (const top of ['/tmp', '/dev/shm', '/var/tmp'])
    found.push(...(await filesOwnedBy(top, baseline.uids, 2)));
  for (const kind of ['shm', 'sem', 'msg']) {
    let table: string;
    try {
      table = await readFile(`/proc/sysvipc/${kind}`, 'utf8');
    } catch {
      continue;
    }
    const [header = '', ...rows] = table.split('\n').filter((l) => l.trim().length > 0);
    const uidColumn = header.trim().split(/\s+/).indexOf('uid');
    for (const row of rows) {
      const uid = Number(row.trim().split(/\s+/)[uidColumn]);
      if (baseline.uids.includes(uid)) found.push(`host SysV ${kind} object of uid ${uid}: ${row.trim()}`);
    }
  }
  return found;
}

async function filesOwnedBy(dir: string, uids: readonly number[], depth: number): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    try {
      const s = await lstat(path);
      if (uids.includes(s.uid)) found.push(`host file ${path} owned by uid ${s.uid}`);
      if (e.isDirectory() && depth > 0) found.push(...(await filesOwnedBy(path, uids, depth - 1)));
    } catch {
      // Vanished between readdir and stat: another test's sandbox cleaning up.
    }
  }
  return found;
}

/**
 * Killing and reaping are asynchronous in the kernel even when the sandbox waits for them, so leftovers
 * get a short grace period before they count.
 */
export async function settledHostLeftovers(baseline: HostBaseline, cgroupName: string): Promise<string[]> {
  let found = await hostLeftovers(baseline, cgroupName);
  for (let i = 0; i < 20 && found.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    found = await hostLeftovers(baseline, cgroupName);
  }
  return found;
}
