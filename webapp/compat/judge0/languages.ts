import type { PublishedLanguage } from '../../../common/languages.js';

/**
 * Judge0 CE 1.13's language ids for the languages RemCode runs. `id` is the one `GET /languages` lists
 * (the newest compiler Judge0 CE 1.13 ships); `also` are the ids of older versions of the same language
 * that clients hard-code, accepted on submission and run on the installed version.
 */
export const JUDGE0_LANGUAGES: readonly {
  readonly id: number;
  readonly also: readonly number[];
  readonly language: string;
  /** Judge0's name without the version, which RemCode appends from the installed toolchain. */
  readonly name: string;
}[] = [
  { id: 46, also: [], language: 'bash', name: 'Bash' },
  { id: 50, also: [48, 49], language: 'c', name: 'C (GCC' },
  { id: 54, also: [52, 53], language: 'cpp', name: 'C++ (GCC' },
  { id: 51, also: [], language: 'csharp', name: 'C# (Mono' },
  { id: 60, also: [], language: 'go', name: 'Go' },
  { id: 62, also: [], language: 'java', name: 'Java (OpenJDK' },
  { id: 63, also: [], language: 'javascript', name: 'JavaScript (Node.js' },
  { id: 64, also: [], language: 'lua', name: 'Lua' },
  { id: 68, also: [], language: 'php', name: 'PHP' },
  { id: 71, also: [], language: 'python', name: 'Python' },
  { id: 72, also: [], language: 'ruby', name: 'Ruby' },
  { id: 73, also: [], language: 'rust', name: 'Rust' },
  { id: 74, also: [], language: 'typescript', name: 'TypeScript' },
  { id: 85, also: [], language: 'perl', name: 'Perl' },
  // Judge0 runs these on other implementations (DMD, GNU Prolog, Clang); clients that hard-code the
  // id get the language, under the name of the toolchain that really runs it.
  { id: 55, also: [], language: 'commonlisp', name: 'Common Lisp (SBCL' },
  { id: 56, also: [], language: 'd', name: 'D (GDC' },
  { id: 57, also: [], language: 'elixir', name: 'Elixir' },
  { id: 58, also: [], language: 'erlang', name: 'Erlang (OTP' },
  { id: 59, also: [], language: 'fortran', name: 'Fortran (GFortran' },
  { id: 61, also: [], language: 'haskell', name: 'Haskell (GHC' },
  { id: 65, also: [], language: 'ocaml', name: 'OCaml' },
  { id: 66, also: [], language: 'octave', name: 'Octave' },
  { id: 67, also: [], language: 'pascal', name: 'Pascal (FPC' },
  { id: 69, also: [], language: 'prolog', name: 'Prolog (SWI-Prolog' },
  { id: 77, also: [], language: 'cobol', name: 'COBOL (GnuCOBOL' },
  { id: 78, also: [], language: 'kotlin', name: 'Kotlin' },
  { id: 79, also: [], language: 'objectivec', name: 'Objective-C (GCC' },
  { id: 80, also: [], language: 'r', name: 'R' },
  { id: 81, also: [], language: 'scala', name: 'Scala' },
  { id: 82, also: [], language: 'sql', name: 'SQL (SQLite' },
  { id: 86, also: [], language: 'clojure', name: 'Clojure' },
  { id: 88, also: [], language: 'groovy', name: 'Groovy' },
];

export interface Judge0Language {
  readonly id: number;
  /** `Python (3.11.2)`, as Judge0 names its languages. */
  readonly name: string;
  readonly remcode: PublishedLanguage;
}

function named(entry: (typeof JUDGE0_LANGUAGES)[number], language: PublishedLanguage): string {
  const version = language.version ?? 'unknown';
  // Judge0 writes "C (GCC 9.2.0)" and "Python (3.8.1)": the version joins an open parenthesis.
  return entry.name.includes('(') ? `${entry.name} ${version})` : `${entry.name} (${version})`;
}

/** The installed languages with their Judge0 ids, in id order. */
export function judge0Languages(installed: readonly PublishedLanguage[]): Judge0Language[] {
  const out: Judge0Language[] = [];
  for (const entry of JUDGE0_LANGUAGES) {
    const language = installed.find((l) => l.id === entry.language);
    if (language?.available) out.push({ id: entry.id, name: named(entry, language), remcode: language });
  }
  return out.sort((a, b) => a.id - b.id);
}

/** The installed language a Judge0 id stands for, older ids included. */
export function findJudge0Language(
  installed: readonly PublishedLanguage[],
  id: number,
): Judge0Language | undefined {
  const entry = JUDGE0_LANGUAGES.find((e) => e.id === id || e.also.includes(id));
  if (!entry) return undefined;
  return judge0Languages(installed).find((l) => l.id === entry.id);
}

/** The Judge0 id of a RemCode language, for submissions made through other dialects. */
export function judge0IdOf(language: string): number | null {
  return JUDGE0_LANGUAGES.find((e) => e.language === language)?.id ?? null;
}
