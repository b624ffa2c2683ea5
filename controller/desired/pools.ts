/**
 * Executor pools in the desired state. A service with `languages:` is an executor pool named after the
 * service: its tasks serve those languages (EXECUTOR_POOL, EXECUTOR_LANGUAGES in their environment),
 * take jobs from the pool's queue, and its image is built with only those languages' packages.
 */
import { DEFAULT_POOL } from '../../common/pools.js';
import type { DesiredFile, GccExtra, ServiceDef } from './schema.js';

export interface ExecutorPoolDef {
  readonly service: string;
  readonly pool: string;
  readonly image: string;
  readonly languages: readonly string[];
  /** The parts of GCC its image keeps (`gcc_extras:`), in the file's order. */
  readonly gccExtras: readonly GccExtra[];
}

/** The pool a service's executors announce: its own name when it lists languages, else the default. */
export function poolOfService(name: string, def: ServiceDef): string {
  return def.languages === undefined ? DEFAULT_POOL : name;
}

/** The services that are executor pools, in file order. */
export function executorPools(desired: DesiredFile): ExecutorPoolDef[] {
  return Object.entries(desired.services).flatMap(([service, def]) =>
    def.languages === undefined
      ? []
      : [
          {
            service,
            pool: service,
            image: def.image,
            languages: [...def.languages],
            gccExtras: [...(def.gcc_extras ?? [])],
          },
        ],
  );
}

/** The environment a pool's tasks get on top of the service's own. */
export function poolEnvironment(name: string, def: ServiceDef): Record<string, string> {
  return def.languages === undefined
    ? {}
    : { EXECUTOR_POOL: name, EXECUTOR_LANGUAGES: def.languages.join(',') };
}

/**
 * Issues of one service's `languages:` list, at JSON pointers relative to the service: ids the
 * catalogue does not know (`known` undefined: not checked), and repeated ids.
 */
export function languageIssues(
  def: ServiceDef,
  known: ReadonlySet<string> | undefined,
): { readonly path: string; readonly message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  def.languages?.forEach((id, i) => {
    const path = `languages/${i}`;
    if (seen.has(id)) issues.push({ path, message: `language "${id}" is listed twice` });
    seen.add(id);
    if (known && !known.has(id)) {
      issues.push({
        path,
        message: `unknown language "${id}": the catalogue has ${[...known].join(', ')}`,
      });
    }
  });
  return issues;
}
