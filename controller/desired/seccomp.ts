/**
 * A service's own seccomp profile (`seccomp: { profile: file }`): read and checked when the desired
 * state loads, so a missing or malformed file is refused with the others' issues, and read again when a
 * spec is built, so an edited profile reaches Swarm as drift on the next pass without a restart.
 */
import { readFileSync } from 'node:fs';

export class SeccompProfileError extends Error {
  override readonly name = 'SeccompProfileError';
}

const ACTION = /^SCMP_ACT_[A-Z_]+$/;

/** What is wrong with `value` as a Docker seccomp profile, or undefined when nothing is. */
function profileProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const profile = value as Record<string, unknown>;
  if (typeof profile['defaultAction'] !== 'string' || !ACTION.test(profile['defaultAction'])) {
    return 'needs "defaultAction", an SCMP_ACT_ action';
  }
  const rules = profile['syscalls'];
  if (!Array.isArray(rules)) return 'needs "syscalls", a list of rules';
  for (const [index, rule] of rules.entries()) {
    const { names, action } = (rule ?? {}) as Record<string, unknown>;
    const named = Array.isArray(names) && names.length > 0 && names.every((name) => typeof name === 'string');
    if (!named) return `syscalls[${index}] needs "names", a list of system call names`;
    if (typeof action !== 'string' || !ACTION.test(action)) {
      return `syscalls[${index}] needs "action", an SCMP_ACT_ action`;
    }
  }
  return undefined;
}

/** The profile at `path` as compact JSON; throws SeccompProfileError saying what is wrong. */
export function readSeccompProfile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new SeccompProfileError(`cannot read the seccomp profile ${path}: ${reason}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SeccompProfileError(
      `the seccomp profile ${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const problem = profileProblem(value);
  if (problem !== undefined) throw new SeccompProfileError(`the seccomp profile ${path} ${problem}`);
  return JSON.stringify(value);
}
