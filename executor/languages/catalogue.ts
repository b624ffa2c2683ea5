/**
 * The language catalogue: `catalogue.yaml` validated strictly against its schema (`catalogue-schema.ts`:
 * an unknown or mistyped key is an error naming the entry and the key), then each language's installed
 * version detected by running its real tool. A language whose tool is missing is listed as unavailable with the reason; it never fails the
 * load, so one broken toolchain does not take the executor down.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { load, YAMLException } from 'js-yaml';
import { checkTemplate } from './argv.js';
import { entryCheck, fileCheck, shapeProblems } from './catalogue-schema.js';
import type { LanguageEntry } from './catalogue-schema.js';
import type { InstalledLanguage, LanguageDefinition } from './types.js';

export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`language catalogue ${file} is invalid:\n  ${problems.join('\n  ')}`, options);
  }
}

export interface LanguageCatalogue {
  /** Every language of the catalogue, available or not, in catalogue order. */
  list(): InstalledLanguage[];
  /** Finds a language by id or alias, case-insensitively. */
  resolve(idOrAlias: string): InstalledLanguage | undefined;
}

export interface LoadCatalogueOptions {
  /** Path of the YAML file. Default: `executor/languages/catalogue.yaml` of this installation. */
  readonly file?: string;
  /** Timeout of one version command. Default 15 s (a cold JVM or Mono on a busy host is slow). */
  readonly versionTimeoutMs?: number;
}

/**
 * The environment of version commands: the same PATH the sandbox gives runs, so the version reported is
 * that of the tool submissions will really use, not one found earlier on the executor's own PATH.
 */
export const TOOL_PATH = '/usr/bin:/bin';

/** The default catalogue file, both when running from source (tsx) and from the compiled `dist/` tree. */
export function defaultCatalogueFile(): string {
  const candidates = [
    new URL('./catalogue.yaml', import.meta.url),
    new URL('../../../executor/languages/catalogue.yaml', import.meta.url),
  ];
  const found = candidates.find((url) => existsSync(url));
  return fileURLToPath(found ?? candidates[0]!);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the schema cannot say about a language whose shape is right. */
function meaningProblems(entry: LanguageEntry, where: string): string[] {
  const problems: string[] = [];
  for (const [field, template] of [
    ['compile', entry.compile],
    ['run', entry.run],
  ] as const) {
    for (const problem of template === null ? [] : checkTemplate(template))
      problems.push(`${where}.${field}: ${problem}`);
  }
  try {
    // Matching the empty alternative reveals how many capture groups the pattern has.
    const groups = new RegExp(`${entry.version.pattern}|`).exec('')!.length - 1;
    if (groups !== 1)
      problems.push(`${where}.version.pattern must have exactly one capture group, not ${groups}`);
  } catch (error) {
    problems.push(`${where}.version.pattern is not a valid regular expression: ${(error as Error).message}`);
  }
  // A warm start needs a run command of the form `interpreter {source} ...`.
  if (entry.warm !== undefined && (entry.run[1] !== '{source}' || entry.run[0]?.includes('{')))
    problems.push(`${where}.warm needs a run command of the form [interpreter, '{source}', ...]`);
  return problems;
}

function toDefinition(entry: LanguageEntry): LanguageDefinition {
  const { starterStdin, supportFiles, warm, ...rest } = entry;
  // The input the editor fills in beside the starter: a starter that reads nothing needs none.
  return { ...rest, starterStdin: starterStdin ?? '', supportFiles: supportFiles ?? [], warm: warm ?? null };
}

/** Validates parsed catalogue data; throws `CatalogueError` listing every problem found. */
export function parseCatalogue(data: unknown, file: string): LanguageDefinition[] {
  const problems = shapeProblems(fileCheck, data, '');
  const entries: readonly unknown[] =
    isRecord(data) && Array.isArray(data['languages']) ? data['languages'] : [];
  const definitions: LanguageDefinition[] = [];
  entries.forEach((raw, index) => {
    const where = `languages[${index}] (${isRecord(raw) && typeof raw['id'] === 'string' ? raw['id'] : '?'})`;
    if (!entryCheck.Check(raw)) return void problems.push(...shapeProblems(entryCheck, raw, where));
    const found = meaningProblems(raw, where);
    if (found.length > 0) return void problems.push(...found);
    definitions.push(toDefinition(raw));
  });
  const owners = new Map<string, string>();
  for (const language of definitions) {
    for (const name of [language.id, ...language.aliases]) {
      const owner = owners.get(name);
      if (owner !== undefined) problems.push(`"${name}" names both ${owner} and ${language.id}`);
      else owners.set(name, language.id);
    }
  }
  if (problems.length > 0) throw new CatalogueError(file, problems);
  return definitions;
}

export async function readCatalogueFile(file: string): Promise<LanguageDefinition[]> {
  const text = await readFile(file, 'utf8');
  let data: unknown;
  try {
    data = load(text);
  } catch (error) {
    const reason = error instanceof YAMLException ? error.message : String(error);
    throw new CatalogueError(file, [reason], { cause: error });
  }
  return parseCatalogue(data, file);
}

interface Detected {
  readonly version: string | null;
  readonly reason: string | null;
}

/** Version results per (argv, pattern): the host's toolchains do not change while a process runs. */
const detectedVersions = new Map<string, Promise<Detected>>();

function runVersionCommand(
  argv: readonly string[],
  pattern: string,
  stdin: string | undefined,
  timeoutMs: number,
): Promise<Detected> {
  return new Promise((resolve) => {
    const [command, ...args] = argv as [string, ...string[]];
    const child = execFile(
      command,
      args,
      {
        env: { PATH: TOOL_PATH, LANG: 'C.UTF-8', HOME: '/tmp' },
        // A runtime that dies mid-answer may leave a file where it ran (the BEAM's erl_crash.dump):
        // never in the executor's own working directory.
        cwd: tmpdir(),
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 256 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        // Some tools print their version on stderr (javac, java) and some exit non-zero doing so.
        const output = `${stdout}\n${stderr}`;
        const match = new RegExp(pattern).exec(output);
        if (match?.[1]) return resolve({ version: match[1], reason: null });
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENOENT') return resolve({ version: null, reason: `${command} is not installed` });
        if (error?.killed)
          return resolve({ version: null, reason: `${argv.join(' ')} did not answer in ${timeoutMs} ms` });
        if (error)
          return resolve({
            version: null,
            reason: `${argv.join(' ')} failed: ${error.message.split('\n')[0]}`,
          });
        resolve({ version: null, reason: `${argv.join(' ')} printed no version matching ${pattern}` });
      },
    );
    // A tool without a version flag (tclsh) is asked on stdin; the others get an empty, closed stdin
    // so that none waits for input. A tool that exits before reading is not an error.
    child.stdin?.on('error', () => {});
    child.stdin?.end(stdin ?? '');
  });
}

export function detectVersion(
  language: Pick<LanguageDefinition, 'version'>,
  timeoutMs = 15_000,
): Promise<Detected> {
  const { argv, pattern, stdin } = language.version;
  const key = JSON.stringify([argv, pattern, stdin ?? null]);
  let detected = detectedVersions.get(key);
  if (!detected) {
    detected = runVersionCommand(argv, pattern, stdin, timeoutMs);
    detectedVersions.set(key, detected);
  }
  return detected;
}

class Catalogue implements LanguageCatalogue {
  readonly #languages: InstalledLanguage[];
  readonly #byName = new Map<string, InstalledLanguage>();

  constructor(languages: InstalledLanguage[]) {
    this.#languages = languages;
    for (const language of languages) {
      for (const name of [language.id, ...language.aliases]) this.#byName.set(name, language);
    }
  }

  list(): InstalledLanguage[] {
    return [...this.#languages];
  }

  resolve(idOrAlias: string): InstalledLanguage | undefined {
    return this.#byName.get(idOrAlias.trim().toLowerCase());
  }
}

/**
 * Version commands run at most this many at a time. Started all at once, forty-odd of them (several
 * JVMs among them) share two cores for many seconds, and a quick tool such as `php --version` could
 * outlive its own timeout waiting for a core and be reported missing.
 */
const VERSION_PROBES_AT_ONCE = 2 * availableParallelism();

/** Builds a catalogue from definitions, detecting the versions a few at a time. */
export async function installCatalogue(
  definitions: readonly LanguageDefinition[],
  options: { versionTimeoutMs?: number } = {},
): Promise<LanguageCatalogue> {
  const installed: InstalledLanguage[] = new Array<InstalledLanguage>(definitions.length);
  let next = 0;
  const probe = async (): Promise<void> => {
    for (let index = next++; index < definitions.length; index = next++) {
      const definition = definitions[index]!;
      const detected = await detectVersion(definition, options.versionTimeoutMs);
      installed[index] = {
        ...definition,
        available: detected.version !== null,
        installedVersion: detected.version,
        unavailableReason: detected.reason,
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(VERSION_PROBES_AT_ONCE, definitions.length) }, probe));
  return new Catalogue(installed);
}

/**
 * One language of the catalogue, with only its own version detected: a one-off run (`remcode-run`)
 * should not wait for forty version commands, several of them JVMs, to use one tool.
 */
export async function loadLanguage(
  idOrAlias: string,
  options: LoadCatalogueOptions = {},
): Promise<{ language: InstalledLanguage | undefined; known: string[] }> {
  const definitions = await readCatalogueFile(options.file ?? defaultCatalogueFile());
  const name = idOrAlias.trim().toLowerCase();
  const definition = definitions.find((d) => d.id === name || d.aliases.includes(name));
  const known = definitions.map((d) => d.id);
  if (!definition) return { language: undefined, known };
  const catalogue = await installCatalogue(
    [definition],
    options.versionTimeoutMs === undefined ? {} : { versionTimeoutMs: options.versionTimeoutMs },
  );
  return { language: catalogue.list()[0], known };
}

export async function loadCatalogue(options: LoadCatalogueOptions = {}): Promise<LanguageCatalogue> {
  const definitions = await readCatalogueFile(options.file ?? defaultCatalogueFile());
  return installCatalogue(
    definitions,
    options.versionTimeoutMs === undefined ? {} : { versionTimeoutMs: options.versionTimeoutMs },
  );
}
