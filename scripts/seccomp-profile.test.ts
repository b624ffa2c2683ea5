import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ABSENT,
  DENIED,
  PROFILE_PATH,
  SYSCALL_TABLE,
  buildProfile,
  parseSyscallTable,
  renderProfile,
} from './seccomp-profile.js';

const table = parseSyscallTable(readFileSync(SYSCALL_TABLE, 'utf8'));
const profile = buildProfile(table);

describe("the executor's seccomp profile", () => {
  it('is committed as the generator writes it', () => {
    // Regenerate with `npx tsx scripts/seccomp-profile.ts` when this fails.
    expect(readFileSync(PROFILE_PATH, 'utf8')).toBe(renderProfile(profile));
  });

  it('reads the whole x86_64 table, in order', () => {
    expect(table.slice(0, 3)).toEqual(['read', 'write', 'open']);
    expect(table.length).toBeGreaterThan(330);
    expect(new Set(table).size).toBe(table.length);
  });

  it('allows nothing it denies, and lets the helper build its boxes', () => {
    const allowed = new Set(profile.syscalls[0]?.names);
    for (const name of [...DENIED, ...ABSENT]) expect(allowed.has(name), name).toBe(false);
    // What remcode-sandboxd calls to build a box (executor/sandbox/native).
    for (const name of ['umount2', 'pivot_root', 'chroot', 'open_tree', 'move_mount', 'seccomp']) {
      expect(allowed.has(name), name).toBe(true);
    }
    // clone and unshare only without CLONE_NEWUSER; socket only for the four families; mount with
    // anything but a superblock remount.
    for (const name of ['clone', 'unshare', 'socket', 'mount']) expect(allowed.has(name), name).toBe(false);
    const conditional = profile.syscalls.filter((rule) => rule.args !== undefined);
    expect(
      conditional.filter((rule) => rule.names.includes('socket')).map((rule) => rule.args?.[0]?.value),
    ).toEqual([1, 2, 10, 16]);
    expect(conditional.filter((rule) => rule.names.includes('clone'))).toEqual([
      expect.objectContaining({
        action: 'SCMP_ACT_ALLOW',
        args: [expect.objectContaining({ value: 0x10000000, valueTwo: 0 })],
      }),
      expect.objectContaining({ action: 'SCMP_ACT_ERRNO', errnoRet: 1 }),
    ]);
  });

  it('allows every mount flag combination but a superblock remount', () => {
    const rules = profile.syscalls.filter((rule) => rule.names.includes('mount'));
    const verdict = (flags: number) =>
      rules.find((rule) => rule.args?.every((arg) => arg.index === 3 && (flags & arg.value) === arg.valueTwo))
        ?.action;
    const [MS_RDONLY, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE] = [
      1, 0x20, 0x1000, 0x2000, 0x4000, 0x40000,
    ];
    // The helper's calls (executor/sandbox/native/box.c, cgroup.c, main.c).
    for (const flags of [
      0,
      MS_BIND,
      MS_REMOUNT | MS_BIND | MS_RDONLY,
      MS_MOVE,
      MS_REC | MS_PRIVATE,
      MS_BIND | MS_REC,
    ]) {
      expect(verdict(flags), flags.toString(16)).toBe('SCMP_ACT_ALLOW');
    }
    expect(verdict(MS_REMOUNT)).toBe('SCMP_ACT_ERRNO');
    expect(verdict(MS_REMOUNT | MS_RDONLY)).toBe('SCMP_ACT_ERRNO');
  });

  it('refuses a policy naming a call the table does not have', () => {
    expect(() => buildProfile(table.filter((name) => name !== 'bpf'))).toThrow(
      /bpf is not in the system call table/,
    );
  });
});
