/**
 * `docker run` options that start the executor image as the shipped manifest's executor service runs:
 * its capabilities, read-only root, mounts and seccomp setting. Swarm on an engine older than API 1.44
 * cannot apply a service's seccomp setting, but `docker run` can, so the security tests check on this
 * engine what a newer one's Swarm would run.
 */
import type { ServiceDef } from '../../controller/desired/schema.js';

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
