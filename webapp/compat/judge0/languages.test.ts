import { expect, it } from 'vitest';
import type { PublishedLanguage } from '../../../common/languages.js';
import { findJudge0Language, JUDGE0_LANGUAGES, judge0IdOf, judge0Languages } from './languages.js';
import { publishedLanguage } from '../../../test/support/published-language.js';

const installed = (id: string, version: string): PublishedLanguage =>
  publishedLanguage(id, { version, sourceFile: 'main.x' });

it('gives every Judge0 id one language and every language one listed id', () => {
  const ids = JUDGE0_LANGUAGES.flatMap((e) => [e.id, ...e.also]);
  expect(new Set(ids).size).toBe(ids.length);
  const languages = JUDGE0_LANGUAGES.map((e) => e.language);
  expect(new Set(languages).size).toBe(languages.length);
});

it('lists the installed languages under the name of the toolchain that runs them', () => {
  const list = judge0Languages([installed('haskell', '9.0.2'), installed('prolog', '9.0.4')]);
  expect(list.map((l) => [l.id, l.name])).toEqual([
    [61, 'Haskell (GHC 9.0.2)'],
    [69, 'Prolog (SWI-Prolog 9.0.4)'],
  ]);
  expect(findJudge0Language([installed('sql', '3.40.1')], 82)?.remcode.id).toBe('sql');
  expect(judge0IdOf('clojure')).toBe(86);
  expect(judge0IdOf('brainfuck')).toBeNull();
});
