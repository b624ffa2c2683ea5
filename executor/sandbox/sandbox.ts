import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  SandboxClosedError,
  SandboxCrashedError,
  SandboxRequestError,
  SandboxUnavailableError,
} from './errors.js';
import { encodeFile, encodeFrame, encodeRun, encodeSnapshot, encodeWorkspace, Request } from './protocol.js';
import { toRunResult } from './result.js';
import { RunGate } from './run-gate.js';
import { Slot, type SlotConfig } from './slot.js';
import type {
  CgroupVersion,
  RunRequest,
  RunResult,
  Sandbox,
  SandboxInfo,
  SandboxOptions,
  Workspace,
  WorkspaceFile,
  WorkspaceOptions,
} from './types.js';
import { checkFile, checkRun } from './validate.js';

/**
 * Entries of the host's /etc that language runtimes read, mirrored read-only into every box. Nothing
 * here holds a secret; the box's passwd, group and hosts are generated instead.
 */
export const DEFAULT_ETC: readonly string[] = [
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'ssl',
  'java-17-openjdk',
  'java-21-openjdk',
  'mono',
  'php',
  'python3',
  'python3.11',
  'perl',
  // R's ldpaths and Renviron, Racket's collection paths, GnuCOBOL's dialect files, Free Pascal's
  // unit paths (fpc.cfg links through alternatives to the versioned file).
  'R',
  'racket',
  'gnucobol',
  'fpc.cfg',
  'fpc-3.2.2.cfg',
];

export const DEFAULT_UID_BASE = 61000;
/** Slots (standby included) per executor: the width of each executor's uid block. */
const UID_BLOCK = 1024;
/** The kernel numbers namespaces from here up (PROC_DYNAMIC_FIRST), each live one with its own number. */
const NS_INODE_FIRST = 0xf0000000;

/**
 * The first slot uid of this executor: its own block of 1024, picked by its PID namespace. Executors on
 * one node each run in a PID namespace of their own (a container each), and the kernel gives every live
 * namespace a different small number, so two executors never share a slot uid (and with it per-user
 * kernel counters such as inotify instances), with nothing to coordinate. An executor in the machine's
 * own PID namespace (`npm start`) keeps 61000.
 */
export function defaultUidBase(pidNamespace = '/proc/self/ns/pid'): number {
  let index = 0;
  try {
    const inode = statSync(pidNamespace).ino;
    if (inode >= NS_INODE_FIRST) index = inode - NS_INODE_FIRST + 1;
  } catch {
    // No /proc: one executor per machine, as before.
  }
  const base = DEFAULT_UID_BASE + index * UID_BLOCK;
  return base + UID_BLOCK <= 0x7fffffff ? base : DEFAULT_UID_BASE;
}
/** How long after a run's wall limit the helper must have answered before its slot is restarted. */
const WATCHDOG_GRACE_MS = 10_000;
const MAX_WORKSPACE_BYTES = 16 * 1024 ** 3;

function defaultHelperPath(): string {
  // Both the TypeScript sources and the compiled dist/ tree sit two levels below the package root.
  const fromHere = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
  const candidates = [
    fromHere('./native/build/remcode-sandboxd'),
    fromHere('../../../executor/sandbox/native/build/remcode-sandboxd'),
  ];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

function warnWarm(onLog: NonNullable<SandboxOptions['onLog']>, slot: number, error: Error): void {
  onLog('warn', 'warm interpreter did not start; this slot starts every run cold', {
    slot,
    error: error.message,
  });
}

interface Waiter {
  resolve(slot: Slot): void;
  reject(error: Error): void;
}

class SlotPool implements Sandbox {
  readonly info: SandboxInfo;
  readonly #configs: SlotConfig[];
  readonly #free: Slot[];
  readonly #waiters: Waiter[] = [];
  #busy = 0;
  #closed = false;
  readonly #all = new Set<Slot>();
  readonly #onLog: NonNullable<SandboxOptions['onLog']>;
  readonly #gate: RunGate;

  constructor(
    configs: SlotConfig[],
    slots: Slot[],
    runs: number,
    cgroup: CgroupVersion,
    onLog: NonNullable<SandboxOptions['onLog']>,
  ) {
    this.#configs = configs;
    this.#free = [...slots];
    for (const s of slots) this.#all.add(s);
    this.#gate = new RunGate(runs);
    this.info = { cgroup, slots: runs, standby: slots.length - runs };
    this.#onLog = onLog;
  }

  busySlots(): number {
    return this.#busy;
  }

  async acquire(options: WorkspaceOptions, signal?: AbortSignal): Promise<Workspace> {
    if (
      !Number.isSafeInteger(options.sizeBytes) ||
      options.sizeBytes <= 0 ||
      options.sizeBytes > MAX_WORKSPACE_BYTES
    ) {
      throw new SandboxRequestError(`workspace size must be 1..${MAX_WORKSPACE_BYTES} bytes`, 'invalid');
    }
    const slot = await this.#takeSlot(signal);
    this.#busy++;
    // The workspace request waits for the workspace's first call and goes in the same write: a job's
    // files then cost the helper one wake-up, not two.
    return new SlotWorkspace(slot, encodeWorkspace(options.sizeBytes), this.#gate, (s) => this.#giveBack(s));
  }

  #takeSlot(signal?: AbortSignal): Promise<Slot> {
    if (this.#closed) return Promise.reject(new SandboxClosedError());
    signal?.throwIfAborted();
    const slot = this.#free.shift();
    if (slot) return Promise.resolve(slot);
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (s) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject,
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  async #giveBack(slot: Slot): Promise<void> {
    this.#busy--;
    let usable: Slot | null = slot;
    if (!slot.alive) {
      this.#all.delete(slot);
      usable = null;
      if (!this.#closed) {
        // A crashed helper is replaced so that the pool keeps its size.
        const config = this.#configs[slot.number]!;
        try {
          const started = await Slot.start(config);
          usable = started.slot;
          this.#all.add(usable);
          if (started.warmError) warnWarm(this.#onLog, slot.number, started.warmError);
          this.#onLog('warn', 'sandbox slot restarted after its helper stopped', { slot: slot.number });
        } catch (error) {
          this.#onLog('error', 'sandbox slot could not be restarted', {
            slot: slot.number,
            error: String(error),
          });
        }
      }
    }
    if (!usable) return;
    if (this.#closed) {
      await usable.close();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(usable);
    else this.#free.push(usable);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(new SandboxClosedError());
    this.#gate.close(new SandboxClosedError());
    await Promise.allSettled([...this.#all].map((s) => s.close()));
  }
}

class SlotWorkspace implements Workspace {
  readonly #slot: Slot;
  readonly #gate: RunGate;
  readonly #giveBack: (slot: Slot) => Promise<void>;
  /** The workspace request, until the first call sends it ahead of its own. */
  #create: Buffer | undefined;
  #runs = 0;
  #released = false;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(slot: Slot, create: Buffer, gate: RunGate, giveBack: (slot: Slot) => Promise<void>) {
    this.#slot = slot;
    this.#create = create;
    this.#gate = gate;
    this.#giveBack = giveBack;
  }

  /** What must go to the helper ahead of the next request: the workspace itself, the first time. */
  #ahead(): Buffer[] {
    const create = this.#create;
    this.#create = undefined;
    return create ? [create] : [];
  }

  /** Workspace calls run one after another even when the caller does not await each. */
  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(op, op);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  #checkOpen(): void {
    if (this.#released) throw new SandboxRequestError('the workspace was released', 'invalid');
  }

  writeFiles(files: readonly WorkspaceFile[]): Promise<void> {
    return this.#serial(async () => {
      this.#checkOpen();
      // Once code has run, the tree may hold symlinks and FIFOs it planted: the host writes no more.
      if (this.#runs > 0)
        throw new SandboxRequestError('files can only be placed before the first run', 'invalid');
      for (const f of files) checkFile(f);
      const frames = [...this.#ahead(), ...files.map((f) => encodeFile(f.path, f.mode ?? 0o644, f.content))];
      const last = frames.pop();
      if (last) await this.#slot.simple(last, frames);
    });
  }

  run(request: RunRequest): Promise<RunResult> {
    return this.#serial(async () => {
      this.#checkOpen();
      const checked = checkRun(request);
      request.signal?.throwIfAborted();
      const leave = await this.#gate.enter(request.signal);
      try {
        request.onStart?.();
        return await this.#runInside(checked, request);
      } finally {
        leave();
      }
    });
  }

  /** One run, once it may start: the helper's reply is the run's result. */
  async #runInside(checked: ReturnType<typeof checkRun>, request: RunRequest): Promise<RunResult> {
    this.#runs++;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const onAbort = () => this.#slot.cancel();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    // The helper ends every run by its wall limit. If it has not answered well after that, the slot
    // is wedged: killing the helper fails this run as a crash and the pool replaces the slot.
    const watchdog = setTimeout(() => this.#slot.kill(), request.limits.wallTimeMs + WATCHDOG_GRACE_MS);
    try {
      const done = await this.#slot.run(
        encodeRun({
          ...checked,
          stdin: request.stdin ?? new Uint8Array(),
          limits: request.limits,
          next: request.followedByRun === true,
        }),
        (stream, chunk) => {
          (stream === 'stdout' ? out : err).push(chunk);
          request.onOutput?.(stream, chunk);
        },
        this.#ahead(),
      );
      return toRunResult(
        done,
        { argv0: checked.argv[0]!, cwd: checked.cwd, cpuLimitMs: request.limits.cpuTimeMs },
        Buffer.concat(out),
        Buffer.concat(err),
      );
    } finally {
      clearTimeout(watchdog);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  snapshot(maxBytes: number): Promise<WorkspaceFile[]> {
    return this.#serial(async () => {
      this.#checkOpen();
      const files = await this.#slot.snapshot(encodeSnapshot(maxBytes), this.#ahead());
      return files.map((f) => ({ path: f.path, mode: f.mode, content: f.content }));
    });
  }

  release(): Promise<void> {
    return this.#serial(async () => {
      if (this.#released) return;
      this.#released = true;
      try {
        // A workspace never sent was never made: there is nothing to release.
        if (this.#slot.alive && this.#create === undefined)
          await this.#slot.simple(encodeFrame(Request.release));
      } catch (error) {
        if (!(error instanceof SandboxCrashedError)) this.#slot.kill();
      } finally {
        await this.#giveBack(this.#slot);
      }
    });
  }
}

/**
 * Starts one helper per slot and checks that each can build a box. Fails with SandboxUnavailableError
 * (with the helper's own explanation) when the host lacks root, namespaces or usable cgroups: there is
 * no fallback to weaker isolation.
 */
export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const slots = options.slots ?? availableParallelism();
  if (!Number.isInteger(slots) || slots < 1 || slots > 512) {
    throw new SandboxUnavailableError('invalid slot count', String(slots));
  }
  const standby = options.standby ?? 0;
  if (!Number.isInteger(standby) || standby < 0 || standby > 512) {
    throw new SandboxUnavailableError('invalid standby slot count', String(standby));
  }
  if (process.getuid?.() !== 0) {
    throw new SandboxUnavailableError(
      'the sandbox needs root',
      'it creates namespaces, mounts and cgroups; run the executor as root (in a container: see docs/sandbox.md)',
    );
  }
  const helperPath = options.helperPath ?? defaultHelperPath();
  if (!existsSync(helperPath)) {
    throw new SandboxUnavailableError(
      'the sandbox helper is not built',
      `${helperPath} is missing; run npm run build:native`,
    );
  }
  const uidBase = options.uidBase ?? defaultUidBase();
  const instance = randomBytes(4).toString('hex');
  const configs: SlotConfig[] = Array.from({ length: slots + standby }, (_, slot) => ({
    helperPath,
    slot,
    uid: uidBase + slot,
    instance,
    cgroupName: options.cgroupName ?? 'remcode',
    etc: options.etc ?? DEFAULT_ETC,
    ...(options.warm ? { warm: options.warm } : {}),
  }));
  const started = await Promise.allSettled(configs.map((c) => Slot.start(c)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (failed) {
    await Promise.allSettled(ok.map((s) => s.slot.close()));
    throw failed.reason instanceof Error ? failed.reason : new SandboxUnavailableError(String(failed.reason));
  }
  const onLog = options.onLog ?? (() => undefined);
  const first = ok[0]!;
  if (!first.loopback) onLog('warn', 'sandbox boxes have no loopback interface (CAP_NET_ADMIN missing)');
  const pool = new SlotPool(
    configs,
    ok.map((s) => s.slot),
    slots,
    first.cgroup,
    onLog,
  );
  for (const [index, s] of ok.entries()) if (s.warmError) warnWarm(onLog, index, s.warmError);
  return pool;
}
