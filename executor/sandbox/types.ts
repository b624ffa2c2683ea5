/**
 * The sandbox's public contract. A `Sandbox` owns a set of slots; each slot is one native helper process
 * that keeps a pre-forked, fully isolated sandbox ready so that a run pays only for `execve`.
 *
 * A `Workspace` is a fresh size-capped tmpfs that lives for one job: files are placed in it before the
 * first run, and every run of the job (compile, then each test case) sees it at `/box`. Releasing the
 * workspace unmounts it, so nothing a run wrote survives the job and the host never walks or deletes a
 * tree that sandboxed code could have rearranged.
 */

export type Verdict =
  | 'ok'
  | 'runtime_error'
  | 'time_limit_exceeded'
  | 'memory_limit_exceeded'
  | 'output_limit_exceeded'
  | 'internal_error';

export type OutputStream = 'stdout' | 'stderr';

/** Hard limits for one run. Every field is enforced by the kernel (cgroups, rlimits, tmpfs size). */
export interface RunLimits {
  /** CPU time summed over every process and thread of the run (cgroup accounting). */
  readonly cpuTimeMs: number;
  /** Wall-clock time from exec to exit. */
  readonly wallTimeMs: number;
  /** Memory of all processes together, page cache and tmpfs pages included; no swap. */
  readonly memoryBytes: number;
  /** Processes plus threads alive at once (pids cgroup). */
  readonly processes: number;
  /** Bytes kept per output stream; writing more ends the run with `output_limit_exceeded`. */
  readonly outputBytes: number;
  /** Largest file the run may write (RLIMIT_FSIZE). */
  readonly fileSizeBytes: number;
  /** Open file descriptors per process (RLIMIT_NOFILE). */
  readonly openFiles: number;
  /** Stack size per process (RLIMIT_STACK). */
  readonly stackBytes: number;
  /** Size of the run's private `/tmp` and `/dev/shm` (each a tmpfs, charged to the memory limit). */
  readonly tmpBytes: number;
}

export interface RunRequest {
  /** argv[0] is resolved against PATH inside the sandbox. Never a shell string. */
  readonly argv: readonly string[];
  /** The complete environment of the run; nothing of the executor's own environment is passed. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory inside the sandbox; must be `/box` or below it. Default `/box`. */
  readonly cwd?: string;
  readonly stdin?: Uint8Array;
  readonly limits: RunLimits;
  /** Called with output as it is produced (for live streaming); the full capped output is in the result. */
  readonly onOutput?: (stream: OutputStream, chunk: Buffer) => void;
  /** Called when the run's turn comes (see `SandboxOptions.standby`), as it goes to the helper. */
  readonly onStart?: () => void;
  /** Aborting kills the run; the result then has verdict `internal_error` with reason `cancelled`. */
  readonly signal?: AbortSignal;
  /**
   * Another run in this workspace follows this one (a compile's program): the helper builds the next
   * run's box while this one runs, rather than after it, so the next run starts at once. Costs the
   * helper's time during this run, so it is for runs that are followed, not for every run.
   */
  readonly followedByRun?: boolean;
}

export interface RunResult {
  readonly verdict: Verdict;
  /** Which clock ran out, when the verdict is `time_limit_exceeded`. */
  readonly timeLimit: 'cpu' | 'wall' | null;
  /** Exit status of the run's main process when it exited normally. */
  readonly exitCode: number | null;
  /** Name of the signal that killed the main process (`SIGKILL`, `SIGSEGV`...). */
  readonly signal: string | null;
  readonly cpuTimeMs: number;
  readonly wallTimeMs: number;
  /** Peak memory of the run's cgroup. */
  readonly memoryBytes: number;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  /**
   * The program ran in a copy of the slot's warm interpreter instead of starting one (see
   * `SandboxOptions.warm`): its CPU time, wall time and memory then leave out the interpreter's start-up.
   */
  readonly warmStart: boolean;
  /** Human-readable cause for `internal_error`; never contains host secrets. */
  readonly error: string | null;
}

export interface WorkspaceFile {
  /** Relative path below `/box`: no `..`, no absolute paths, no empty or `.` segments. */
  readonly path: string;
  readonly content: Uint8Array;
  /** Defaults to 0o644. Permission bits only: setuid, setgid and sticky bits are rejected. */
  readonly mode?: number;
}

export interface WorkspaceOptions {
  /** Size of the workspace tmpfs at `/box`. */
  readonly sizeBytes: number;
}

export interface Workspace {
  /** Places files; only valid before the first `run` of the workspace. */
  writeFiles(files: readonly WorkspaceFile[]): Promise<void>;
  run(request: RunRequest): Promise<RunResult>;
  /**
   * Reads regular files below `/box` (no symlinks followed, size-capped) so that a compile result can be
   * cached and later placed in another workspace with `writeFiles`.
   */
  snapshot(maxBytes: number): Promise<WorkspaceFile[]>;
  /** Unmounts the workspace and returns the slot to the pool. Idempotent. */
  release(): Promise<void>;
}

export type CgroupVersion = 'v1' | 'v2';

export interface SandboxInfo {
  readonly cgroup: CgroupVersion;
  /** Most programs running at once. */
  readonly slots: number;
  /** Slots kept beyond `slots`, in which jobs wait with their workspace ready. */
  readonly standby: number;
}

export interface Sandbox {
  readonly info: SandboxInfo;
  /**
   * Waits for a free slot (of `slots + standby`) and gives it a fresh workspace. Slots are handed out in
   * FIFO order. Its runs wait, in FIFO order too, while `slots` programs already run.
   */
  acquire(options: WorkspaceOptions, signal?: AbortSignal): Promise<Workspace>;
  /** Number of slots currently holding a workspace, standby slots included. */
  busySlots(): number;
  /** Kills any running process and stops every helper. Idempotent. */
  close(): Promise<void>;
}

export interface WarmInterpreter {
  /** The interpreter and its start-up code, e.g. `['python3', '-c', code]`; see executor/sandbox/warm/. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export interface SandboxOptions {
  /** Concurrent runs; each slot is one helper process with its own uid. Default: number of cores. */
  readonly slots?: number;
  /**
   * Slots kept beyond `slots` (default 0). A workspace can be acquired and filled in one while `slots`
   * programs run, and its run starts as soon as one of them ends; meanwhile the slot that ran it builds
   * its next box. This turns the slot's own turnaround (milliseconds of namespace and cgroup work per
   * run) from a pause between programs into work done alongside them.
   */
  readonly standby?: number;
  /**
   * Slot n (standby slots included) runs as uid and gid `uidBase + n`. Default: 61000 plus a block of
   * 1024 per PID namespace, so executors in separate containers on one node get separate uids
   * (`defaultUidBase`); the range must be unused on the host.
   */
  readonly uidBase?: number;
  /** Path of the native helper binary. Default: the one built in `executor/sandbox/native/build/`. */
  readonly helperPath?: string;
  /** Name of the cgroup (under each controller's root) that holds every run. Default `remcode`. */
  readonly cgroupName?: string;
  /** Names directly under the host's /etc mirrored read-only into every box. Default: `DEFAULT_ETC`. */
  readonly etc?: readonly string[];
  /**
   * An interpreter each slot keeps started, so that a run of it skips the interpreter's start-up: the
   * program runs in a copy-on-write copy of it, forked into a fresh box (docs/sandbox.md, "Warm starts").
   * A run uses it when its argv[0] equals `argv[0]` here, its argv[1] is a script rather than an option,
   * and its environment is exactly `env`; any other run starts cold, as without this option.
   */
  readonly warm?: WarmInterpreter;
  readonly onLog?: (
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ) => void;
}
