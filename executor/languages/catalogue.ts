/**
 * The language catalogue: `catalogue.yaml` validated strictly (an unknown or mistyped key is an error
 * naming the entry and the key), then each language's installed version detected by running its real
 * tool. A language whose tool is missing is listed as unavailable with the reason; it never fails the
 * load, so one broken toolchain does not take the executor down.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { load, YAMLException } from 'js-yaml';
import type { RunLimits } from '../sandbox/types.js';
import { WARM_STARTS } from '../sandbox/index.js';
import { checkTemplate } from './argv.js';
import { RUN_LIMIT_KEYS } from './limits.js';
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

const ENTRY_KEYS = {
  id: true,
  name: true,
  aliases: true,
  sourceFile: true,
  compile: true,
  run: true,
  version: true,
  packages: true,
  env: true,
  limitAdjust: true,
  compileLimits: true,
  editorMode: true,
  starter: true,
  starterStdin: false,
  supportFiles: false,
  warm: false,
} as const satisfies Record<keyof LanguageDefinition, boolean>;

const ID = /^[a-z][a-z0-9]*$/;
const ALIAS = /^[a-z0-9][a-z0-9+#._-]*$/;
const FILE_PATH = /^(?!\/)(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._/-]+$/;
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Problems = string[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function checkKeys(
  where: string,
  value: Record<string, unknown>,
  allowed: readonly string[],
  problems: Problems,
) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      problems.push(`${where}: unknown key "${key}" (allowed: ${allowed.join(', ')})`);
  }
}

function checkLimits(where: string, value: unknown, problems: Problems): Partial<RunLimits> {
  if (!isRecord(value)) {
    problems.push(`${where} must be a mapping of limit names to numbers`);
    return {};
  }
  checkKeys(where, value, RUN_LIMIT_KEYS, problems);
  const out: Partial<Record<keyof RunLimits, number>> = {};
  for (const key of RUN_LIMIT_KEYS) {
    const item = value[key];
    if (item === undefined) continue;
    if (typeof item !== 'number' || !Number.isSafeInteger(item) || item <= 0) {
      problems.push(`${where}.${key} must be a positive whole number`);
    } else out[key] = item;
  }
  return out;
}

function checkAdjust(where: string, value: unknown, problems: Problems): LanguageDefinition['limitAdjust'] {
  if (!isRecord(value)) {
    problems.push(`${where} must be a mapping of limit names to { min, factor }`);
    return {};
  }
  checkKeys(where, value, RUN_LIMIT_KEYS, problems);
  const out: Partial<Record<keyof RunLimits, { min?: number; factor?: number }>> = {};
  for (const key of RUN_LIMIT_KEYS) {
    const item = value[key];
    if (item === undefined) continue;
    if (!isRecord(item)) {
      problems.push(`${where}.${key} must be a mapping with min and/or factor`);
      continue;
    }
    checkKeys(`${where}.${key}`, item, ['min', 'factor'], problems);
    const adjust: { min?: number; factor?: number } = {};
    if (item['min'] !== undefined) {
      if (typeof item['min'] !== 'number' || !Number.isSafeInteger(item['min']) || item['min'] <= 0) {
        problems.push(`${where}.${key}.min must be a positive whole number`);
      } else adjust.min = item['min'];
    }
    if (item['factor'] !== undefined) {
      if (typeof item['factor'] !== 'number' || !(item['factor'] >= 1) || !Number.isFinite(item['factor'])) {
        problems.push(
          `${where}.${key}.factor must be a number of at least 1 (adjustments only ever raise limits)`,
        );
      } else adjust.factor = item['factor'];
    }
    if (item['min'] === undefined && item['factor'] === undefined)
      problems.push(`${where}.${key} sets neither min nor factor`);
    out[key] = adjust;
  }
  return out;
}

function checkArgv(where: string, value: unknown, problems: Problems): string[] {
  if (!isStringArray(value)) {
    problems.push(`${where} must be a list of strings (an argv template, never shell text)`);
    return [];
  }
  for (const problem of checkTemplate(value)) problems.push(`${where}: ${problem}`);
  return value;
}

function checkString(where: string, value: unknown, pattern: RegExp | null, problems: Problems): string {
  if (typeof value !== 'string' || value === '') {
    problems.push(`${where} must be a non-empty string`);
    return '';
  }
  if (pattern && !pattern.test(value)) problems.push(`${where} "${value}" does not match ${String(pattern)}`);
  return value;
}

function checkEntry(where: string, raw: unknown, problems: Problems): LanguageDefinition | null {
  if (!isRecord(raw)) {
    problems.push(`${where} must be a mapping`);
    return null;
  }
  const idValue = typeof raw['id'] === 'string' ? raw['id'] : '?';
  const at = `${where} (${idValue})`;
  checkKeys(at, raw, Object.keys(ENTRY_KEYS), problems);
  for (const [key, required] of Object.entries(ENTRY_KEYS)) {
    if (required && !(key in raw)) problems.push(`${at}: missing key "${key}"`);
  }
  const before = problems.length;

  const id = checkString(`${at}.id`, raw['id'], ID, problems);
  const aliases = isStringArray(raw['aliases'])
    ? raw['aliases']
    : (problems.push(`${at}.aliases must be a list of strings`), []);
  for (const alias of aliases)
    if (!ALIAS.test(alias)) problems.push(`${at}.aliases: "${alias}" must be lowercase`);
  const compile = raw['compile'] === null ? null : checkArgv(`${at}.compile`, raw['compile'], problems);
  const run = checkArgv(`${at}.run`, raw['run'], problems);

  let version: LanguageDefinition['version'] = { argv: [], pattern: '' };
  const rawVersion = raw['version'];
  if (!isRecord(rawVersion)) problems.push(`${at}.version must be a mapping with argv and pattern`);
  else {
    checkKeys(`${at}.version`, rawVersion, ['argv', 'pattern', 'stdin'], problems);
    const argv =
      isStringArray(rawVersion['argv']) && rawVersion['argv'].length > 0 ? rawVersion['argv'] : null;
    if (!argv) problems.push(`${at}.version.argv must be a non-empty list of strings`);
    const pattern = checkString(`${at}.version.pattern`, rawVersion['pattern'], null, problems);
    if (pattern) {
      try {
        // Matching the empty alternative reveals how many capture groups the pattern has.
        const groups = new RegExp(`${pattern}|`).exec('')!.length - 1;
        if (groups !== 1)
          problems.push(`${at}.version.pattern must have exactly one capture group, not ${groups}`);
      } catch (error) {
        problems.push(`${at}.version.pattern is not a valid regular expression: ${(error as Error).message}`);
      }
    }
    const stdin = rawVersion['stdin'];
    if (stdin !== undefined && typeof stdin !== 'string')
      problems.push(`${at}.version.stdin must be a string (what the version command reads)`);
    version =
      typeof stdin === 'string' ? { argv: argv ?? [], pattern, stdin } : { argv: argv ?? [], pattern };
  }

  const packages = isStringArray(raw['packages']) ? raw['packages'] : [];
  if (!isStringArray(raw['packages']) || packages.length === 0)
    problems.push(`${at}.packages must be a non-empty list of Debian package names`);
  for (const pkg of packages)
    if (!PACKAGE.test(pkg)) problems.push(`${at}.packages: "${pkg}" is not a Debian package name`);

  const env: Record<string, string> = {};
  if (!isRecord(raw['env'])) problems.push(`${at}.env must be a mapping of variable names to strings`);
  else {
    for (const [name, value] of Object.entries(raw['env'])) {
      if (!ENV_NAME.test(name)) problems.push(`${at}.env: "${name}" is not a variable name`);
      else if (name === 'PATH' || name === 'HOME') problems.push(`${at}.env: ${name} is set by the executor`);
      else if (typeof value !== 'string') problems.push(`${at}.env.${name} must be a string (quote numbers)`);
      else env[name] = value;
    }
  }

  const supportFiles: { path: string; content: string }[] = [];
  if (raw['supportFiles'] !== undefined) {
    if (!Array.isArray(raw['supportFiles'])) problems.push(`${at}.supportFiles must be a list`);
    else {
      raw['supportFiles'].forEach((file: unknown, index) => {
        const fileAt = `${at}.supportFiles[${index}]`;
        if (!isRecord(file)) return void problems.push(`${fileAt} must be a mapping with path and content`);
        checkKeys(fileAt, file, ['path', 'content'], problems);
        const path = checkString(`${fileAt}.path`, file['path'], FILE_PATH, problems);
        if (typeof file['content'] !== 'string') problems.push(`${fileAt}.content must be a string`);
        else supportFiles.push({ path, content: file['content'] });
      });
    }
  }

  const definition: LanguageDefinition = {
    id,
    name: checkString(`${at}.name`, raw['name'], null, problems),
    aliases,
    sourceFile: checkString(`${at}.sourceFile`, raw['sourceFile'], FILE_PATH, problems),
    compile,
    run,
    version,
    packages,
    env,
    limitAdjust: checkAdjust(`${at}.limitAdjust`, raw['limitAdjust'], problems),
    compileLimits: checkLimits(`${at}.compileLimits`, raw['compileLimits'], problems),
    editorMode: checkString(`${at}.editorMode`, raw['editorMode'], /^[a-z0-9+#-]+$/, problems),
    starter: checkString(`${at}.starter`, raw['starter'], null, problems),
    starterStdin: checkStarterStdin(`${at}.starterStdin`, raw['starterStdin'], problems),
    supportFiles,
    warm: raw['warm'] === undefined ? null : checkWarm(`${at}.warm`, raw['warm'], run, problems),
  };
  return problems.length === before ? definition : null;
}

/** The input the editor fills in beside the starter; a starter that reads nothing needs none. */
function checkStarterStdin(where: string, value: unknown, problems: Problems): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') {
    problems.push(`${where} must be a string`);
    return '';
  }
  return value;
}

/** A warm start needs its start-up code, and a run command of the form `interpreter {source} ...`. */
function checkWarm(where: string, value: unknown, run: readonly string[], problems: Problems): string | null {
  if (typeof value !== 'string' || !WARM_STARTS.includes(value)) {
    problems.push(`${where} must be one of: ${WARM_STARTS.join(', ')}`);
    return null;
  }
  if (run[1] !== '{source}' || run[0]?.includes('{')) {
    problems.push(`${where} needs a run command of the form [interpreter, '{source}', ...]`);
    return null;
  }
  return value;
}

/** Validates parsed catalogue data; throws `CatalogueError` listing every problem found. */
export function parseCatalogue(data: unknown, file: string): LanguageDefinition[] {
  const problems: Problems = [];
  if (!isRecord(data)) throw new CatalogueError(file, ['the file must be a mapping with a "languages" list']);
  checkKeys('top level', data, ['languages'], problems);
  const entries = data['languages'];
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new CatalogueError(file, [...problems, '"languages" must be a non-empty list']);
  }
  const definitions: LanguageDefinition[] = [];
  entries.forEach((raw: unknown, index) => {
    const definition = checkEntry(`languages[${index}]`, raw, problems);
    if (definition) definitions.push(definition);
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

export async function loadCatalogue(options: LoadCatalogueOptions = {}): Promise<LanguageCatalogue> {
  const definitions = await readCatalogueFile(options.file ?? defaultCatalogueFile());
  return installCatalogue(
    definitions,
    options.versionTimeoutMs === undefined ? {} : { versionTimeoutMs: options.versionTimeoutMs },
  );
}
