/**
 * CPU time by role, read from /proc, for the service bench: where each submission's CPU goes. Each role's
 * figure counts its processes' own time and the time of children they have reaped, so a short-lived
 * program is counted once it exits (a box under its sandbox helper, a bare spawn under the bench).
 */
import { readFileSync, readdirSync } from 'node:fs';

export const ROLES = ['bench', 'webapp', 'executor', 'sandbox', 'postgres', 'redis', 'other'] as const;
export type Role = (typeof ROLES)[number];
export type CpuReading = Record<Role, number> & { machineBusy: number; machineTotal: number };

const HZ = 100; // USER_HZ: what /proc reports in, 100 on every Linux ABI Node runs on.

/** CPU seconds this process has spent reading /proc so far. */
let readingCost = 0;

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** utime + stime + cutime + cstime, in seconds. */
  readonly cpu: number;
}

function readProc(pid: number): Proc | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited between the listing and the read
  }
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is the state (field 3 of proc(5)); utime..cstime are fields 14..17.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return { pid, ppid: Number(fields[1]), comm, cpu: ticks / HZ };
}

/**
 * Reads the CPU seconds used so far by each role. `pids` names the service's own processes; everything
 * under them that is not one of them (the sandbox helpers and boxes under the executor) is `sandbox`.
 */
export function readCpu(pids: { readonly webapp: number; readonly executor: number }): CpuReading {
  const own = process.cpuUsage();
  const procs = new Map<number, Proc>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const proc = readProc(pid);
    if (proc) procs.set(pid, proc);
  }
  const roleOf = (proc: Proc): Role => {
    if (proc.pid === process.pid) return 'bench';
    if (proc.pid === pids.webapp) return 'webapp';
    if (proc.pid === pids.executor) return 'executor';
    if (proc.comm.startsWith('postgres') || proc.comm === 'postmaster') return 'postgres';
    if (proc.comm.startsWith('redis-server')) return 'redis';
    for (let p = procs.get(proc.ppid); p; p = procs.get(p.ppid))
      if (p.pid === pids.executor) return 'sandbox';
    return 'other';
  };
  const reading = Object.fromEntries(ROLES.map((r) => [r, 0])) as CpuReading;
  for (const proc of procs.values()) reading[roleOf(proc)] += proc.cpu;
  // The bench's own figure leaves out the readings, which would otherwise count as load generation.
  const used = process.cpuUsage(own);
  readingCost += (used.user + used.system) / 1e6;
  reading.bench -= readingCost;
  const [, ...counters] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const values = counters.map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  // idle and iowait are the fourth and fifth counters
  reading.machineTotal = total / HZ;
  reading.machineBusy = (total - (values[3] ?? 0) - (values[4] ?? 0)) / HZ;
  return reading;
}

/** Adds `end - start` of each role into `into`. */
export function accumulate(into: CpuReading, start: CpuReading, end: CpuReading): void {
  for (const key of [...ROLES, 'machineBusy', 'machineTotal'] as const) into[key] += end[key] - start[key];
}

export function emptyReading(): CpuReading {
  return {
    ...(Object.fromEntries(ROLES.map((r) => [r, 0])) as Record<Role, number>),
    machineBusy: 0,
    machineTotal: 0,
  };
}
