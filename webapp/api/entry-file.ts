import type { PublishedLanguage } from '../../common/languages.js';

/** Line and block comments, blanked so that a class named in a comment is not taken for the real one. */
const COMMENTS = /\/\/[^\n]*|\/\*[\s\S]*?\*\//g;

/** `public class Name`, with the modifiers Java allows before it; records and enums too. */
const JAVA_PUBLIC_TYPE =
  /(?:^|[\s;}])public\s+(?:(?:final|abstract|sealed|non-sealed|static|strictfp)\s+)*(?:class|record|enum|interface)\s+([A-Za-z_$][A-Za-z0-9_$]*)/;

/**
 * The name a single pasted file gets when the client sent none: a v1 `source`, a Judge0 `source_code`, a
 * nameless Piston file. javac refuses a public class whose file is named differently, so a Java file is
 * named after its public class (and run by that name, as the catalogue runs `{source_stem}`); every
 * other language takes its catalogue `sourceFile`, which its compiler does not care about.
 */
export function entryFileName(language: PublishedLanguage, source: Buffer): string {
  if (language.id === 'java') {
    const name = javaMainClass(source.toString('utf8').replace(COMMENTS, ' '));
    if (name !== undefined && name.length <= 100 && /^[A-Za-z0-9_]+$/.test(name)) return `${name}.java`;
  }
  return language.sourceFile;
}

const JAVA_CLASS = /(?:^|[\s;}])(?:class|record|enum|interface)\s+([A-Za-z_$][A-Za-z0-9_$]*)/g;
const JAVA_MAIN = /\bstatic\s+(?:final\s+)?void\s+main\s*\(/;

/**
 * The public top-level type, which javac insists on; without one, the class declared last before the
 * `main` method, which is the one to run (javac accepts any file name then, and `java` needs the class).
 */
function javaMainClass(code: string): string | undefined {
  const named = JAVA_PUBLIC_TYPE.exec(code)?.[1];
  if (named !== undefined) return named;
  const main = JAVA_MAIN.exec(code);
  if (!main) return undefined;
  let last: string | undefined;
  for (const match of code.matchAll(JAVA_CLASS)) {
    if (match.index >= main.index) break;
    last = match[1];
  }
  return last;
}
