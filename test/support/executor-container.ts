/**
 * `docker run` options that start the executor image as the shipped manifest's executor service runs:
 * its capabilities, read-only root, mounts and seccomp setting. Swarm on an engine older than API 1.44
 * cannot apply a service's seccomp setting, but `docker run` can, so the security tests check on this
 * engine what a newer one's Swarm would run.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ServiceDef } from '../../controller/desired/schema.js';
import { shippedManifest } from './shipped-manifest.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));

/** The Python and C pool image, built when missing (cached after test/images/executor-pool.int.test.ts). */
export const PAIR_IMAGE = 'remcode-executor-pair:local';

/**
 * Builds one pool's executor image, `remcode-executor-NAME:local`, as `build.sh executor=NAME:IDS[:EXTRAS]`
 * does (a no-op when it is current).
 */
export async function buildPoolImage(spec: string): Promise<void> {
  await run('bash', ['manifests/images/build.sh', `executor=${spec}`], {
    cwd: repo,
    maxBuffer: 1 << 26,
    timeout: 1_500_000,
  });
}

/** Builds `PAIR_IMAGE` if it is not current and returns the shipped manifest's executor service. */
export async function pairExecutor(): Promise<ServiceDef> {
  await buildPoolImage('pair:python,c');
  return (await shippedManifest()).pick('executor');
}

export interface ContainerOptions {
  /** Leave the manifest's seccomp setting out: the engine's default profile applies. */
  readonly engineDefaultSeccomp?: boolean;
}

export function executorRunOptions(executor: ServiceDef, options: ContainerOptions = {}): string[] {
  const args: string[] = [];
  for (const cap of executor.cap_drop ?? []) args.push('--cap-drop', cap);
  for (const cap of executor.cap_add ?? []) args.push('--cap-add', cap);
  if (executor.read_only) args.push('--read-only');
  if (!options.engineDefaultSeccomp && executor.seccomp !== undefined) {
    // The loader has made a profile's path absolute.
    const setting = executor.seccomp === 'unconfined' ? 'unconfined' : executor.seccomp.profile;
    args.push('--security-opt', `seccomp=${setting}`);
  }
  for (const mount of executor.mounts ?? []) {
    if (mount.type === 'tmpfs') args.push('--tmpfs', mount.target);
    else
      args.push(
        '--mount',
        `type=${mount.type},source=${mount.source ?? ''},target=${mount.target}${mount.read_only ? ',readonly' : ''}`,
      );
  }
  return args;
}
