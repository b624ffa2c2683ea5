import type { PublishedLanguage } from '../../../common/languages.js';

/** One entry of Piston's `GET /api/v2/runtimes`. */
export interface PistonRuntime {
  readonly language: string;
  readonly version: string;
  readonly aliases: string[];
  /** Piston names the shared runtime of several languages (gcc for C and C++, node, mono). */
  readonly runtime?: string;
}

/**
 * Piston's own names for RemCode's languages, where they differ, and the aliases Piston clients are used
 * to sending. Clients look runtimes up by `language` equality, so the name must be Piston's.
 */
const PISTON_NAMES: Readonly<Record<string, { language?: string; aliases: string[]; runtime?: string }>> = {
  python: { aliases: ['py', 'py3', 'python3'] },
  c: { aliases: ['gcc'], runtime: 'gcc' },
  cpp: { language: 'c++', aliases: ['cpp', 'g++'], runtime: 'gcc' },
  javascript: { aliases: ['node-javascript', 'node-js', 'js'], runtime: 'node' },
  typescript: { aliases: ['ts', 'node-ts', 'tsc'], runtime: 'node' },
  csharp: { aliases: ['mono', 'mono-csharp', 'mono-c#', 'mono-cs', 'c#', 'cs'], runtime: 'mono' },
  bash: { aliases: ['sh'] },
  ruby: { aliases: ['rb'] },
  rust: { aliases: ['rs'] },
  go: { aliases: ['golang'] },
  perl: { aliases: ['pl'] },
  commonlisp: { language: 'lisp', aliases: ['cl', 'sbcl', 'commonlisp'] },
  r: { language: 'rscript', aliases: ['r'] },
  sql: { language: 'sqlite3', aliases: ['sqlite', 'sql'] },
  d: { aliases: ['dlang'] },
  brainfuck: { aliases: ['bf'] },
};

/** The installed languages as Piston runtimes; languages without a detected version are left out. */
export function pistonRuntimes(languages: readonly PublishedLanguage[]): PistonRuntime[] {
  const out: PistonRuntime[] = [];
  for (const l of languages) {
    if (!l.available || l.version === null) continue;
    const known = PISTON_NAMES[l.id];
    const language = known?.language ?? l.id;
    const aliases = new Set([...(known?.aliases ?? []), ...l.aliases, l.id]);
    aliases.delete(language);
    out.push({
      language,
      version: l.version,
      aliases: [...aliases],
      ...(known?.runtime !== undefined ? { runtime: known.runtime } : {}),
    });
  }
  return out;
}

/**
 * Piston's version matching: `*` takes any, `x` or `*` in a position takes any number there, and a
 * shorter version matches as a prefix by whole components (`3.11` matches `3.11.2`, not `3.1`).
 */
export function versionMatches(wanted: string, installed: string): boolean {
  const w = wanted.trim();
  if (w === '*' || w === installed) return true;
  const want = w.split('.');
  const have = installed.split('.');
  if (want.length > have.length) return false;
  return want.every((part, i) => part === 'x' || part === 'X' || part === '*' || part === have[i]);
}

/** The runtime a request names by language (or alias) and version, and the RemCode language behind it. */
export function findRuntime(
  languages: readonly PublishedLanguage[],
  language: string,
  version: string,
): { runtime: PistonRuntime; language: PublishedLanguage } | undefined {
  const wanted = language.trim().toLowerCase();
  for (const l of languages) {
    const [runtime] = pistonRuntimes([l]);
    if (!runtime) continue;
    const named = runtime.language === wanted || runtime.aliases.some((a) => a.toLowerCase() === wanted);
    if (named && versionMatches(version, runtime.version)) return { runtime, language: l };
  }
  return undefined;
}
