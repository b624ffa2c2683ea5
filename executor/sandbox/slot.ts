import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { SandboxCrashedError, SandboxRequestError, SandboxUnavailableError } from './errors.js';
import {
  decodeDone,
  decodeError,
  decodeFile,
  decodeOutput,
  encodeFrame,
  encodeWarm,
  FrameDecoder,
  Request,
  Response,
  type DoneFrame,
  type Frame,
} from './protocol.js';
import type { CgroupVersion, OutputStream, WarmInterpreter } from './types.js';

export interface SlotConfig {
  readonly helperPath: string;
  readonly slot: number;
  readonly uid: number;
  readonly instance: string;
  readonly cgroupName: string;
  readonly etc: readonly string[];
  readonly warm?: WarmInterpreter;
}

interface Pending {
  onFrame(frame: Frame): boolean; // true when the operation is complete
  fail(error: Error): void;
}

const ERR_TOO_LARGE = 2;
const ERR_SYSTEM = 3;
const STDERR_KEEP = 4096;

/**
 * One remcode-sandboxd process. Operations are strictly sequential: the pool hands a slot to one
 * workspace at a time and a workspace serialises its own calls.
 */
export class Slot {
  readonly #config: SlotConfig;
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #decoder = new FrameDecoder();
  #pending: Pending | null = null;
  #stderr = '';
  #dead: Error | null = null;
  readonly exited: Promise<void>;

  private constructor(config: SlotConfig) {
    this.#config = config;
    const args = ['--slot', String(config.slot), '--uid', String(config.uid), '--gid', String(config.uid)];
    args.push('--instance', config.instance, '--cgroup', config.cgroupName);
    for (const name of config.etc) args.push('--etc', name);
    // An empty environment: nothing of the executor's (credentials above all) reaches the helper.
    this.#child = spawn(config.helperPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    this.#child.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    this.#child.stdin.on('error', () => {
      // EPIPE after the helper died; reported through the exit handler.
    });
    this.exited = new Promise((resolve) => {
      this.#child.on('close', (code, signal) => {
        const why = this.#stderr.trim() || `exit ${code ?? signal}`;
        this.#dead = new SandboxCrashedError(`sandbox slot ${config.slot} stopped: ${why}`);
        this.#pending?.fail(this.#dead);
        this.#pending = null;
        resolve();
      });
      this.#child.on('error', (error) => {
        this.#dead = new SandboxUnavailableError(`cannot start ${config.helperPath}`, error.message, {
          cause: error,
        });
        this.#pending?.fail(this.#dead);
        this.#pending = null;
        resolve();
      });
    });
  }

  /**
   * Starts a helper and waits until its first box proved that the sandbox works on this host, then its
   * warm interpreter, if configured. A warm interpreter that fails to start leaves a working slot whose
   * runs all start cold; `warmError` says why.
   */
  static async start(
    config: SlotConfig,
  ): Promise<{ slot: Slot; cgroup: CgroupVersion; loopback: boolean; warmError: Error | null }> {
    const slot = new Slot(config);
    const ready = await new Promise<Frame>((resolve, reject) => {
      slot.#pending = {
        onFrame: (frame) => {
          if (frame.type === Response.ready) resolve(frame);
          else reject(new SandboxCrashedError(`unexpected first frame 0x${frame.type.toString(16)}`));
          return true;
        },
        fail: (error) =>
          reject(
            error instanceof SandboxCrashedError
              ? new SandboxUnavailableError(
                  'the sandbox cannot start on this host',
                  slot.#stderr.trim() || error.message,
                )
              : error,
          ),
      };
    });
    let warmError: Error | null = null;
    if (config.warm) {
      const env = Object.entries(config.warm.env).map(([name, value]) => `${name}=${value}`);
      try {
        await slot.simple(encodeWarm(config.warm.argv, env));
      } catch (error) {
        if (!slot.alive) throw error;
        warmError = error instanceof Error ? error : new Error(String(error));
      }
    }
    return {
      slot,
      cgroup: ready.payload[0] === 2 ? 'v2' : 'v1',
      loopback: ready.payload[1] === 1,
      warmError,
    };
  }

  get alive(): boolean {
    return this.#dead === null;
  }

  get number(): number {
    return this.#config.slot;
  }

  #onData(chunk: Buffer): void {
    for (const frame of this.#decoder.push(chunk)) {
      const pending = this.#pending;
      if (!pending) {
        this.#child.kill('SIGKILL');
        return;
      }
      if (pending.onFrame(frame)) this.#pending = null;
    }
  }

  /**
   * Sends `frame`, preceded in the same write by `leading` requests that are each answered by OK or
   * ERROR. The helper handles its input in order, so it answers them first and then `frame`; one write
   * wakes it once instead of once per request. The first error among the leading answers is the
   * operation's answer (the requests after it run into it, e.g. a file without its workspace).
   */
  #begin<T>(
    frame: Buffer,
    make: (resolve: (v: T) => void, reject: (e: Error) => void) => Pending,
    leading: readonly Buffer[] = [],
  ): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    if (this.#pending) return Promise.reject(new Error('sandbox slot is busy: operations must not overlap'));
    return new Promise<T>((resolve, reject) => {
      let unanswered = leading.length;
      let first: Error | undefined;
      const last = make(
        (value) => (first ? reject(first) : resolve(value)),
        (error) => reject(first ?? error),
      );
      this.#pending =
        unanswered === 0
          ? last
          : {
              onFrame: (f) => {
                if (unanswered === 0) return last.onFrame(f);
                unanswered--;
                if (f.type === Response.error) first ??= toRequestError(f.payload);
                else if (f.type !== Response.ok)
                  first ??= new SandboxCrashedError(`unexpected frame 0x${f.type.toString(16)}`);
                return false;
              },
              fail: (error) => last.fail(error),
            };
      this.#child.stdin.write(unanswered === 0 ? frame : Buffer.concat([...leading, frame]));
    });
  }

  /** A request answered by OK or ERROR, after `leading` ones of the same kind (see `#begin`). */
  simple(frame: Buffer, leading: readonly Buffer[] = []): Promise<void> {
    return this.#begin<void>(
      frame,
      (resolve, reject) => ({
        onFrame: (f) => {
          if (f.type === Response.ok) resolve();
          else if (f.type === Response.error) reject(toRequestError(f.payload));
          else reject(new SandboxCrashedError(`unexpected frame 0x${f.type.toString(16)}`));
          return true;
        },
        fail: reject,
      }),
      leading,
    );
  }

  /** A run, after `leading` requests answered by OK or ERROR (see `#begin`). */
  run(
    frame: Buffer,
    onOutput: (stream: OutputStream, chunk: Buffer) => void,
    leading: readonly Buffer[] = [],
  ): Promise<DoneFrame> {
    return this.#begin<DoneFrame>(
      frame,
      (resolve, reject) => ({
        onFrame: (f) => {
          if (f.type === Response.output) {
            const { stream, chunk } = decodeOutput(f.payload);
            onOutput(stream, chunk);
            return false;
          }
          if (f.type === Response.done) resolve(decodeDone(f.payload));
          else if (f.type === Response.error) reject(toRequestError(f.payload));
          else reject(new SandboxCrashedError(`unexpected frame 0x${f.type.toString(16)}`));
          return true;
        },
        fail: reject,
      }),
      leading,
    );
  }

  cancel(): void {
    if (!this.#dead) this.#child.stdin.write(encodeFrame(Request.cancel));
  }

  /** A snapshot, after `leading` requests answered by OK or ERROR (see `#begin`). */
  snapshot(
    frame: Buffer,
    leading: readonly Buffer[] = [],
  ): Promise<{ path: string; mode: number; content: Buffer }[]> {
    const files: { path: string; mode: number; content: Buffer }[] = [];
    return this.#begin(
      frame,
      (resolve, reject) => ({
        onFrame: (f) => {
          if (f.type === Response.file) {
            files.push(decodeFile(f.payload));
            return false;
          }
          if (f.type === Response.ok) resolve(files);
          else if (f.type === Response.error) reject(toRequestError(f.payload));
          else reject(new SandboxCrashedError(`unexpected frame 0x${f.type.toString(16)}`));
          return true;
        },
        fail: reject,
      }),
      leading,
    );
  }

  async close(): Promise<void> {
    if (this.#dead) return;
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

function toRequestError(payload: Buffer): Error {
  const { code, message } = decodeError(payload);
  if (code === ERR_SYSTEM) return new Error(`sandbox host-side failure: ${message}`);
  return new SandboxRequestError(message, code === ERR_TOO_LARGE ? 'too_large' : 'invalid');
}
