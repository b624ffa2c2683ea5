import type { RunLimits } from '../sandbox/types.js';

/**
 * One entry of the language catalogue (`executor/languages/catalogue.yaml`). argv templates are arrays;
 * an item is either literal text or exactly one placeholder:
 * - `{source}`: the entry file's path (for example `main.py`);
 * - `{source_stem}`: the entry file's path without its last extension (`main`, `Main`), for tools that
 *   name their output after the source (`java Main`, `node main` finding `main.js`);
 * - `{sources...}`: every placed file whose extension is the entry file's (so headers and data files
 *   are not handed to the compiler), entry first, spliced in as separate items;
 * - `{args...}`: the submission's command-line arguments, spliced in as separate items;
 * - `{compiler_args...}`: the submission's extra compiler flags, spliced in as separate items.
 * Placeholders never appear inside a longer string, so no user text is ever concatenated into an item.
 */
export interface LanguageDefinition {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  /** Default entry file name when a submission sends a single `source`. */
  readonly sourceFile: string;
  readonly compile: readonly string[] | null;
  readonly run: readonly string[];
  /**
   * The command whose output reveals the installed version, a regex with one capture group, and what
   * the command reads on stdin for tools that have no version flag (tclsh).
   */
  readonly version: { readonly argv: readonly string[]; readonly pattern: string; readonly stdin?: string };
  /** Debian packages that provide the toolchain. */
  readonly packages: readonly string[];
  /** Extra environment for compile and run (PATH and HOME are set by the executor). */
  readonly env: Readonly<Record<string, string>>;
  /** Multipliers/minimums applied over the submission's limits (JVMs need more memory and threads). */
  readonly limitAdjust: Partial<Record<keyof RunLimits, { readonly min?: number; readonly factor?: number }>>;
  /** Limits used for the compile step. */
  readonly compileLimits: Partial<RunLimits>;
  /** CodeMirror language name for the web editor. */
  readonly editorMode: string;
  /** A short program that reads a line from stdin and greets it; shown in the editor. */
  readonly starter: string;
  /** The input the editor pre-fills beside the starter, so that its first run succeeds ('' when unset). */
  readonly starterStdin: string;
  /**
   * Files the toolchain needs beside the submission (for example ambient declarations that let `tsc`
   * type-check Node's globals without `@types/node`). A submitted file of the same path wins.
   */
  readonly supportFiles: readonly { readonly path: string; readonly content: string }[];
  /**
   * Start-up code (in executor/sandbox/warm/) that lets a slot keep this language's interpreter started
   * and run programs in copies of it; null when the language always starts cold.
   */
  readonly warm: string | null;
}

export interface InstalledLanguage extends LanguageDefinition {
  readonly available: boolean;
  /** Version reported by the real tool, or null when unavailable. */
  readonly installedVersion: string | null;
  /** Why the language is unavailable (tool missing, version command failed). */
  readonly unavailableReason: string | null;
}
