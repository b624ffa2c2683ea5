import type { PublishedLanguage } from '../../common/languages.js';

/** Line and block comments, blanked so that a class named in a comment is not taken for the real one. */
const COMMENTS = /\/\/[^\n]*|\/\*[\s\S]*?\*\//g;

/** `public class Name`, with the modifiers Java allows before it; records and enums too. */
const JAVA_PUBLIC_TYPE =
  /(?:^|[\s;}])public\s+(?:(?:final|abstract|sealed|non-sealed|static|strictfp)\s+)*(?:class|record|enum|interface)\s+([A-Za-z_$][A-Za-z0-9_$]*)/;

/**
 * The name a single pasted file gets when the client sent none. Judge0 and Piston clients send one
 * nameless source, and javac refuses a public class whose file is named differently, so a Java file
 * is named after its public class; every other language takes its catalogue `sourceFile`.
 */
export function entryFileName(language: PublishedLanguage, source: Buffer): string {
  if (language.id === 'java') {
    const name = JAVA_PUBLIC_TYPE.exec(source.toString('utf8').replace(COMMENTS, ' '))?.[1];
    if (name !== undefined && name.length <= 100 && /^[A-Za-z0-9_]+$/.test(name)) return `${name}.java`;
  }
  return language.sourceFile;
}
