/** A language as the executors publish it, for tests that announce pools or read them back. */
import type { PublishedLanguage } from '../../common/languages.js';

export function publishedLanguage(id: string, extra: Partial<PublishedLanguage> = {}): PublishedLanguage {
  return {
    id,
    name: id,
    aliases: [],
    version: '1',
    available: true,
    unavailableReason: null,
    sourceFile: `main.${id}`,
    compiled: false,
    editorMode: id,
    starter: '',
    ...extra,
  };
}
