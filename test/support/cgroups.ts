/**
 * Where the sandbox of this test process puts its runs' cgroups, as native/cgroup.c finds them: below
 * the process's own cgroup in each hierarchy (v1), or in the unified tree (v2). Tests read these to
 * check that a sandbox leaves nothing behind and removes only its own stale cgroups.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const ROOT = '/sys/fs/cgroup';

/** This process's cgroup per hierarchy: controller (or `name=` hierarchy, or '' for v2) to path. */
function ownPaths(): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers = '', path = '/'] = match;
    if (controllers === '') paths.set('', path);
    for (const controller of controllers.split(',')) if (controller) paths.set(controller, path);
  }
  return paths;
}

function below(dir: string, path: string | undefined): string {
  return path === undefined || path === '/' ? dir : `${dir}${path}`;
}

/** True where the memory controller is a v1 hierarchy of its own, as the sandbox then uses v1. */
export function cgroupV1(): boolean {
  return existsSync(`${ROOT}/memory/cgroup.procs`);
}

/**
 * This process's own cgroup directory in every mounted hierarchy (v1: one per folder of
 * /sys/fs/cgroup that is a hierarchy; v2: one).
 */
export function ownCgroupDirs(): string[] {
  const paths = ownPaths();
  if (!cgroupV1()) return [below(ROOT, paths.get(''))];
  const dirs: string[] = [];
  for (const entry of readdirSync(ROOT, { withFileTypes: true })) {
    if (!entry.isDirectory() || !existsSync(`${ROOT}/${entry.name}/cgroup.procs`)) continue;
    const path = paths.get(entry.name) ?? paths.get(`name=${entry.name}`);
    dirs.push(below(`${ROOT}/${entry.name}`, path));
  }
  return dirs;
}

/** The parents named `name` that hold the runs' cgroups of a sandbox started by this process. */
export function runCgroupParents(name: string): string[] {
  const paths = ownPaths();
  if (!cgroupV1()) return [`${below(ROOT, paths.get(''))}/${name}`];
  return ['memory', 'pids', 'cpuacct'].map((c) => `${below(`${ROOT}/${c}`, paths.get(c))}/${name}`);
}
