/**
 * The language ids of the catalogue (executor/languages/catalogue.yaml) and the Debian packages each
 * needs, read without the executor's validation or version probing: the controller checks the ids a
 * manifest gives its executor pools, and the image build installs the packages of a pool's languages.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';

/** The shipped catalogue, both from source (tsx) and from the compiled `dist/` tree. */
export function shippedCatalogueFile(): string {
  const candidates = [
    new URL('../executor/languages/catalogue.yaml', import.meta.url),
    new URL('../../executor/languages/catalogue.yaml', import.meta.url),
  ];
  return fileURLToPath(candidates.find((url) => existsSync(url)) ?? candidates[0]!);
}

/** Language id → its Debian packages, in catalogue order. */
export function readLanguagePackages(file: string): Map<string, readonly string[]> {
  const data = load(readFileSync(file, 'utf8')) as { languages?: unknown } | null;
  const entries = Array.isArray(data?.languages) ? (data.languages as unknown[]) : [];
  const index = new Map<string, readonly string[]>();
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, packages } = entry as { id?: unknown; packages?: unknown };
    if (typeof id !== 'string') continue;
    index.set(id, Array.isArray(packages) ? packages.filter((p): p is string => typeof p === 'string') : []);
  }
  return index;
}

/**
 * The catalogue's language ids, or undefined where no catalogue file is installed: the controller then
 * checks only the ids' form. Its image ships the catalogue, so this is for a hand-made install.
 */
export function catalogueLanguageIds(
  file = process.env.REMCODE_CATALOGUE || shippedCatalogueFile(),
): ReadonlySet<string> | undefined {
  if (!existsSync(file)) return undefined;
  return new Set(readLanguagePackages(file).keys());
}
