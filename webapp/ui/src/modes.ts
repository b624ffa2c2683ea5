/**
 * Editor language support, loaded on demand so the first page load carries only the editor core. Keys are
 * the catalogue's `editorMode` names (and the language ids, for servers that do not send a mode).
 */
import { StreamLanguage, type StreamParser } from '@codemirror/language';
import type { Extension } from '@codemirror/state';

type Loader = () => Promise<Extension>;

async function legacy(load: () => Promise<StreamParser<unknown>>): Promise<Extension> {
  return StreamLanguage.define(await load());
}

const LOADERS: Record<string, Loader> = {
  python: async () => (await import('@codemirror/lang-python')).python(),
  c: async () => (await import('@codemirror/lang-cpp')).cpp(),
  cpp: async () => (await import('@codemirror/lang-cpp')).cpp(),
  javascript: async () => (await import('@codemirror/lang-javascript')).javascript(),
  typescript: async () => (await import('@codemirror/lang-javascript')).javascript({ typescript: true }),
  java: async () => (await import('@codemirror/lang-java')).java(),
  rust: async () => (await import('@codemirror/lang-rust')).rust(),
  php: async () => (await import('@codemirror/lang-php')).php({ plain: false }),
  go: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/go')).go),
  ruby: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/ruby')).ruby),
  perl: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/perl')).perl),
  lua: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/lua')).lua),
  shell: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/shell')).shell),
  csharp: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/clike')).csharp),
  kotlin: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/clike')).kotlin),
  scala: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/clike')).scala),
  haskell: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/haskell')).haskell),
  swift: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/swift')).swift),
  r: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/r')).r),
};

const ALIASES: Record<string, string> = {
  py: 'python',
  python3: 'python',
  'c++': 'cpp',
  cxx: 'cpp',
  js: 'javascript',
  node: 'javascript',
  nodejs: 'javascript',
  ts: 'typescript',
  golang: 'go',
  rb: 'ruby',
  pl: 'perl',
  bash: 'shell',
  sh: 'shell',
  'c#': 'csharp',
  cs: 'csharp',
  mono: 'csharp',
  'text/x-csrc': 'c',
  'text/x-c++src': 'cpp',
  'text/x-java': 'java',
  'text/x-csharp': 'csharp',
};

export function modeName(mode: string | null, languageId: string): string | null {
  for (const candidate of [mode, languageId]) {
    if (!candidate) continue;
    const key = candidate.toLowerCase();
    const name = ALIASES[key] ?? key;
    if (LOADERS[name]) return name;
    const stripped = key.replace(/[\d.]+$/, '');
    if (LOADERS[ALIASES[stripped] ?? stripped]) return ALIASES[stripped] ?? stripped;
  }
  return null;
}

/** The highlighting for a mode, or an empty extension (plain text) when the mode is unknown. */
export async function loadMode(name: string | null): Promise<Extension> {
  const loader = name ? LOADERS[name] : undefined;
  return loader ? loader() : [];
}
