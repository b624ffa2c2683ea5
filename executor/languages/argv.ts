/**
 * Expansion of the catalogue's argv templates. A placeholder is always a whole item, so user text (file
 * names, arguments, compiler flags) is only ever placed as complete argv items and never joined to
 * template text or to each other: there is no string that a shell or the tool could re-split.
 */

export class ArgvTemplateError extends Error {
  override readonly name = 'ArgvTemplateError';
  constructor(
    readonly item: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ArgvValues {
  /** The entry file's path below the workspace, for example `main.py`. */
  readonly source: string;
  /** Every file handed to the compiler, entry first. Default: just the entry. */
  readonly sources?: readonly string[];
  readonly args?: readonly string[];
  readonly compilerArgs?: readonly string[];
}

const SPLICE = {
  '{sources...}': 'sources',
  '{args...}': 'args',
  '{compiler_args...}': 'compilerArgs',
} as const;

const SINGLE = new Set(['{source}', '{source_stem}']);

/** Every placeholder the templates may use. */
export const PLACEHOLDERS: readonly string[] = [...SINGLE, ...Object.keys(SPLICE)];

/** True when the item looks like a placeholder (braces around a name) but is not one we know. */
function looksLikePlaceholder(item: string): boolean {
  return /\{[a-z_.]*\}/.test(item);
}

/** Checks a template without expanding it; returns a message per problem. */
export function checkTemplate(template: readonly string[]): string[] {
  const problems: string[] = [];
  if (template.length === 0) problems.push('argv is empty');
  template.forEach((item, index) => {
    if (PLACEHOLDERS.includes(item)) {
      if (index === 0) problems.push(`argv[0] cannot be the placeholder ${item}`);
    } else if (looksLikePlaceholder(item)) {
      problems.push(
        `"${item}" is not a known placeholder or embeds one in a longer string (known: ${PLACEHOLDERS.join(', ')})`,
      );
    }
  });
  return problems;
}

/** The entry path without its last extension (`src/main.ts` → `src/main`, `Main` → `Main`). */
export function sourceStem(source: string): string {
  const slash = source.lastIndexOf('/');
  const dot = source.lastIndexOf('.');
  return dot > slash + 1 ? source.slice(0, dot) : source;
}

export function expandArgv(template: readonly string[], values: ArgvValues): string[] {
  const problems = checkTemplate(template);
  if (problems.length > 0) throw new ArgvTemplateError(template.join(' '), problems.join('; '));
  const lists = {
    sources: values.sources ?? [values.source],
    args: values.args ?? [],
    compilerArgs: values.compilerArgs ?? [],
  };
  const out: string[] = [];
  for (const item of template) {
    if (item === '{source}') out.push(values.source);
    else if (item === '{source_stem}') out.push(sourceStem(values.source));
    else if (Object.hasOwn(SPLICE, item)) out.push(...lists[SPLICE[item as keyof typeof SPLICE]]);
    else out.push(item);
  }
  return out;
}
