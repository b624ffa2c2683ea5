/**
 * Judge0 takes `compiler_options` and `command_line_arguments` as single strings that it pastes into a
 * shell command; a newline in `compiler_options` was one of its 2024 escapes. Here both become argv
 * arrays before anything else sees them: compiler options are whole words checked against a list of
 * flags per language, and arguments are split the way a shell splits words, with nothing expanded.
 */

export class ArgumentError extends Error {
  override readonly name = 'ArgumentError';
}

/** Flags each compiled language accepts, each pattern matching one whole argv item. */
const COMPILER_FLAGS: Readonly<Record<string, readonly RegExp[]>> = {
  c: [],
  cpp: [],
  java: [/^-Xlint(:[a-z,-]+)?$/, /^-(nowarn|g|g:none|Werror|deprecation|parameters)$/],
  csharp: [
    /^-optimize[+-]?$/,
    /^-warn:[0-4]$/,
    /^-warnaserror[+-]?$/,
    /^-(checked|unsafe|debug)[+-]?$/,
    /^-define:[A-Za-z_][A-Za-z0-9_;]*$/,
    /^-langversion:[A-Za-z0-9.]+$/,
  ],
  rust: [/^-O$/, /^-g$/, /^-Copt-level=[0-3sz]$/, /^-C(debug-assertions|overflow-checks)=(yes|no|on|off)$/],
  go: [/^-trimpath$/, /^-tags=[A-Za-z0-9_,]+$/],
  typescript: [/^--strict$/, /^--(strict|no)[A-Z][A-Za-z]*$/, /^--(alwaysStrict|experimentalDecorators)$/],
};

// GCC and G++ share theirs. No -o, -B, -I, -L, -x, -include, -specs, -wrapper or @file: those pick what
// is compiled, linked or run. -f flags take no value (-fplugin=... loads a shared object).
const GCC_FLAGS = [
  /^-O([0-3sgz]|fast)?$/,
  /^-std=(c|gnu|c\+\+|gnu\+\+)[0-9][0-9a-z]$/,
  /^-W[a-z][a-z0-9-]*(=[0-9]+)?$/,
  /^-(w|g|pedantic|pedantic-errors|pthread|static|s)$/,
  /^-D[A-Za-z_][A-Za-z0-9_]*(=[A-Za-z0-9_.]*)?$/,
  /^-U[A-Za-z_][A-Za-z0-9_]*$/,
  /^-l(m|pthread|rt)$/,
  /^-f(no-)?[a-z][a-z0-9-]*$/,
];

function flagsOf(language: string): readonly RegExp[] | undefined {
  return language === 'c' || language === 'cpp' ? GCC_FLAGS : COMPILER_FLAGS[language];
}

/** The languages that take compiler options at all, for `/config_info`. */
export const COMPILER_OPTION_LANGUAGES = Object.keys(COMPILER_FLAGS);

/** `compiler_options` as argv items, every one of them an allowed flag of the language. */
export function compilerOptions(text: string, language: string): string[] {
  const flags = flagsOf(language);
  if (flags === undefined)
    throw new ArgumentError('setting compiler options is not allowed for this language');
  const words = text.split(/[ \t]+/).filter((w) => w !== '');
  for (const word of words) {
    if (!flags.some((flag) => flag.test(word)))
      throw new ArgumentError(`compiler option "${word.slice(0, 64)}" is not allowed`);
  }
  return words;
}

/**
 * Splits `command_line_arguments` as a POSIX shell splits words: blanks separate, single quotes keep
 * everything, double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``, a backslash outside
 * quotes keeps the next character. Nothing is expanded: `$HOME` and `*` arrive as written.
 */
export function splitArguments(text: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ArgumentError('unterminated single quote');
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) j++;
        word += text[j];
      }
      if (j >= text.length) throw new ArgumentError('unterminated double quote');
      i = j;
    } else if (c === '\\') {
      if (i + 1 < text.length) word += text[++i];
    } else word += c;
  }
  if (inWord) out.push(word);
  return out;
}
