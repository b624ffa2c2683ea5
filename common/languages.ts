/**
 * The languages an executor can run, as it publishes them in Redis at start (`RedisKeys.languages`). The
 * webapp validates submissions and answers `GET /api/v1/languages` from this list, so it never needs the
 * toolchains itself.
 */
export interface PublishedLanguage {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly version: string | null;
  readonly available: boolean;
  readonly unavailableReason: string | null;
  readonly sourceFile: string;
  readonly compiled: boolean;
  readonly editorMode: string;
  readonly starter: string;
  /** What the editor pre-fills as stdin beside the starter. Absent from executors older than the field. */
  readonly starterStdin?: string;
}

/** Finds a language by id or alias, case-insensitively. */
export function resolveLanguage(
  languages: readonly PublishedLanguage[],
  idOrAlias: string,
): PublishedLanguage | undefined {
  const wanted = idOrAlias.trim().toLowerCase();
  return languages.find((l) => l.id === wanted || l.aliases.some((a) => a.toLowerCase() === wanted));
}
