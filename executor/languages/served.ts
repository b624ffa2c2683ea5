import type { LanguageCatalogue } from './catalogue.js';
import type { InstalledLanguage } from './types.js';

/** An executor asked for languages its catalogue lacks or its image does not hold. */
export class ServedLanguagesError extends Error {
  override readonly name = 'ServedLanguagesError';
  constructor(
    readonly unknown: readonly string[],
    readonly missing: readonly { readonly id: string; readonly reason: string }[],
  ) {
    const parts = [
      ...(unknown.length > 0 ? [`not in the language catalogue: ${unknown.join(', ')}`] : []),
      ...missing.map((m) => `${m.id} is not installed in this image (${m.reason})`),
    ];
    super(`EXECUTOR_LANGUAGES: ${parts.join('; ')}`);
  }
}

/**
 * The languages one executor serves: those of `ids` (EXECUTOR_LANGUAGES), or every installed language
 * when undefined. An executor asked for a language its image lacks refuses to start instead of
 * announcing a pool that would fail every submission in it; resolving an alias of a language the pool
 * does not serve finds nothing.
 */
export function servedLanguages(
  catalogue: LanguageCatalogue,
  ids: readonly string[] | undefined,
): LanguageCatalogue {
  const all = catalogue.list();
  let served: InstalledLanguage[];
  if (ids === undefined) {
    served = all.filter((l) => l.available);
  } else {
    const unknown = ids.filter((id) => !all.some((l) => l.id === id));
    const chosen = all.filter((l) => ids.includes(l.id));
    const missing = chosen
      .filter((l) => !l.available)
      .map((l) => ({ id: l.id, reason: l.unavailableReason ?? 'unavailable' }));
    if (unknown.length > 0 || missing.length > 0) throw new ServedLanguagesError(unknown, missing);
    served = chosen;
  }
  return {
    list: () => served,
    resolve: (idOrAlias) => {
      const found = catalogue.resolve(idOrAlias);
      return found && served.includes(found) ? found : undefined;
    },
  };
}
