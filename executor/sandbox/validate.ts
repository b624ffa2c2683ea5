import { SandboxRequestError } from './errors.js';
import type { RunLimits, RunRequest, WorkspaceFile } from './types.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Upper bounds a caller can never exceed, whatever the operator configured: sanity, not policy. */
export const HARD_CEILINGS: RunLimits = {
  cpuTimeMs: 15 * 60_000,
  wallTimeMs: 30 * 60_000,
  memoryBytes: 64 * GiB,
  processes: 4096,
  outputBytes: 256 * MiB,
  fileSizeBytes: 16 * GiB,
  openFiles: 65_536,
  stackBytes: 1 * GiB,
  tmpBytes: 16 * GiB,
};

const MAX_ARGV_ENV_BYTES = 1024 * 1024 - 4096;
const MAX_STDIN_BYTES = 128 * MiB;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkLimits(limits: RunLimits): void {
  for (const key of Object.keys(HARD_CEILINGS) as (keyof RunLimits)[]) {
    const value = limits[key];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new SandboxRequestError(
        `limit ${key} must be a positive integer, got ${String(value)}`,
        'invalid',
      );
    }
    if (value > HARD_CEILINGS[key]) {
      throw new SandboxRequestError(
        `limit ${key} is ${value}, above the ceiling ${HARD_CEILINGS[key]}`,
        'too_large',
      );
    }
  }
}

export interface CheckedRun {
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
}

export function checkRun(request: RunRequest): CheckedRun {
  const { argv } = request;
  if (argv.length === 0 || argv[0] === '')
    throw new SandboxRequestError('argv must name a program', 'invalid');
  let bytes = 0;
  for (const a of argv) {
    if (a.includes('\0')) throw new SandboxRequestError('argv items cannot contain NUL bytes', 'invalid');
    bytes += Buffer.byteLength(a) + 1;
  }
  const env: string[] = [];
  for (const [name, value] of Object.entries(request.env ?? {})) {
    if (!ENV_NAME.test(name))
      throw new SandboxRequestError(`invalid environment variable name '${name}'`, 'invalid');
    if (value.includes('\0'))
      throw new SandboxRequestError(`environment variable ${name} contains a NUL byte`, 'invalid');
    env.push(`${name}=${value}`);
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
  }
  if (bytes > MAX_ARGV_ENV_BYTES) {
    throw new SandboxRequestError(
      `argv and environment take ${bytes} bytes; at most ${MAX_ARGV_ENV_BYTES}`,
      'too_large',
    );
  }
  const cwd = request.cwd ?? '/box';
  if (cwd !== '/box' && !(cwd.startsWith('/box/') && checkRelativePath(cwd.slice(5)))) {
    throw new SandboxRequestError(`cwd must be /box or a directory below it, got '${cwd}'`, 'invalid');
  }
  if ((request.stdin?.byteLength ?? 0) > MAX_STDIN_BYTES) {
    throw new SandboxRequestError(`stdin is larger than ${MAX_STDIN_BYTES} bytes`, 'too_large');
  }
  checkLimits(request.limits);
  return { argv, env, cwd };
}

function checkRelativePath(path: string): boolean {
  if (path.length === 0 || path.length > 4096 || path.includes('\0')) return false;
  return path.split('/').every((s) => s.length > 0 && s.length <= 255 && s !== '.' && s !== '..');
}

export function checkFile(file: WorkspaceFile): void {
  if (!checkRelativePath(file.path)) {
    throw new SandboxRequestError(
      `invalid file path '${file.path}': use a relative path without '.', '..' or empty segments`,
      'invalid',
    );
  }
  const mode = file.mode ?? 0o644;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw new SandboxRequestError(`invalid mode ${String(file.mode)} for '${file.path}'`, 'invalid');
  }
}
