import { describe, expect, it } from 'vitest';
import type { PublishedLanguage } from '../../common/languages.js';
import { entryFileName } from './entry-file.js';
import { publishedLanguage } from '../../test/support/published-language.js';

function language(id: string, sourceFile: string): PublishedLanguage {
  return publishedLanguage(id, { sourceFile, compiled: true });
}

const java = language('java', 'Main.java');

describe('entryFileName', () => {
  it.each([
    ['public class Main { public static void main(String[] a) {} }', 'Main.java'],
    [
      'import java.util.*;\n\npublic class Solution {\n  public static void main(String[] a) {}\n}',
      'Solution.java',
    ],
    ['public final class Fast { public static void main(String[] a) {} }', 'Fast.java'],
    ['class Helper {}\npublic class App { public static void main(String[] a) {} }', 'App.java'],
    ['// public class Commented\n/* public class Blocked */\npublic class Real {}', 'Real.java'],
    ['public record Point(int x, int y) {}', 'Point.java'],
    [
      'class Helper {}\nclass Runner { public static void main(String... a) {} }\nclass After {}',
      'Runner.java',
    ],
    ['class NoMain { void f() {} }', 'Main.java'],
    ['System.out.println("snippet");', 'Main.java'],
    ['public class Bad$Name {}', 'Main.java'],
  ])('names %j %s', (source, name) => {
    expect(entryFileName(java, Buffer.from(source))).toBe(name);
  });

  it("keeps every other language's catalogue name", () => {
    const csharp = language('csharp', 'main.cs');
    expect(entryFileName(csharp, Buffer.from('namespace Demo { public class Program {} }'))).toBe('main.cs');
  });
});
