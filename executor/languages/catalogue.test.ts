import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CatalogueError,
  defaultCatalogueFile,
  installCatalogue,
  loadCatalogue,
  parseCatalogue,
  readCatalogueFile,
} from './catalogue.js';

const entry = (overrides: Record<string, unknown> = {}) => ({
  id: 'sh',
  name: 'Shell',
  aliases: ['posix'],
  sourceFile: 'main.sh',
  compile: null,
  run: ['sh', '{source}', '{args...}'],
  version: { argv: ['sh', '-c', 'echo 9.8.7'], pattern: '(\\d+\\.\\d+\\.\\d+)' },
  packages: ['dash'],
  env: {},
  limitAdjust: {},
  compileLimits: {},
  editorMode: 'shell',
  starter: 'read n; echo "Hello, $n!"\n',
  ...overrides,
});

function problemsOf(data: unknown): string[] {
  try {
    parseCatalogue(data, 'test.yaml');
  } catch (error) {
    if (error instanceof CatalogueError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('parseCatalogue', () => {
  it('accepts a valid entry and defaults supportFiles to none', () => {
    const [language] = parseCatalogue({ languages: [entry()] }, 'test.yaml');
    expect(language?.id).toBe('sh');
    expect(language?.supportFiles).toEqual([]);
    expect(language?.starterStdin).toBe('');
  });

  it('keeps a starter stdin and rejects one that is not text', () => {
    const [language] = parseCatalogue({ languages: [entry({ starterStdin: 'Ada\n' })] }, 'test.yaml');
    expect(language?.starterStdin).toBe('Ada\n');
    expect(problemsOf({ languages: [entry({ starterStdin: 42 })] })).toEqual([
      'languages[0] (sh).starterStdin must be a string',
    ]);
  });

  it('names the entry and the key of an unknown key', () => {
    expect(problemsOf({ languages: [entry({ compileFlags: ['-O2'] })] })).toEqual([
      expect.stringMatching(/^languages\[0\] \(sh\): unknown key "compileFlags"/),
    ]);
  });

  it('rejects unknown keys inside nested mappings', () => {
    const problems = problemsOf({
      languages: [
        entry({ version: { argv: ['sh'], pattern: '(x)', regex: 'y' }, limitAdjust: { memory: { min: 1 } } }),
      ],
    });
    expect(problems).toContainEqual(
      expect.stringContaining('languages[0] (sh).version: unknown key "regex"'),
    );
    expect(problems).toContainEqual(
      expect.stringContaining('languages[0] (sh).limitAdjust: unknown key "memory"'),
    );
  });

  it('reports missing keys, shell strings instead of argv lists and embedded placeholders', () => {
    const { run: _run, ...withoutRun } = entry();
    expect(problemsOf({ languages: [withoutRun] })).toContainEqual('languages[0] (sh): missing key "run"');
    expect(problemsOf({ languages: [entry({ compile: 'gcc -o main main.c' })] })).toContainEqual(
      expect.stringContaining('compile must be a list of strings'),
    );
    expect(
      problemsOf({ languages: [entry({ compile: ['gcc', '-o', 'main', '--in={source}'] })] }),
    ).toContainEqual(expect.stringContaining('embeds one in a longer string'));
  });

  it('rejects duplicate ids and aliases across entries', () => {
    const problems = problemsOf({ languages: [entry(), entry({ id: 'dash', aliases: ['posix'] })] });
    expect(problems).toEqual(['"posix" names both sh and dash']);
  });

  it('requires exactly one capture group in the version pattern', () => {
    expect(problemsOf({ languages: [entry({ version: { argv: ['sh'], pattern: '\\d+' } })] })).toContainEqual(
      expect.stringContaining('exactly one capture group, not 0'),
    );
  });

  it('rejects PATH in env, uppercase aliases, limit factors below 1 and non-numeric limits', () => {
    const problems = problemsOf({
      languages: [
        entry({
          env: { PATH: '/opt/bin' },
          aliases: ['Posix'],
          limitAdjust: { memoryBytes: { factor: 0.5 } },
          compileLimits: { cpuTimeMs: '10s' },
        }),
      ],
    });
    expect(problems).toHaveLength(4);
  });

  it('reports every variable name a language may not set, PATH and HOME among them', () => {
    const problems = problemsOf({
      languages: [entry({ env: { PATH: '/opt/bin', HOME: '/root', '1X': 'y' } })],
    });
    expect(problems).toHaveLength(3);
    for (const name of ['PATH', 'HOME', '1X'])
      expect(problems).toContainEqual(expect.stringContaining(`languages[0] (sh).env: "${name}"`));
  });

  it('accepts a known warm start only with a run command of the form [interpreter, {source}, ...]', () => {
    const [parsed] = parseCatalogue({ languages: [entry({ warm: 'python' })] }, 'test.yaml');
    expect(parsed!.warm).toBe('python');
    expect(parseCatalogue({ languages: [entry()] }, 'test.yaml')[0]!.warm).toBeNull();
    expect(problemsOf({ languages: [entry({ warm: 'lisp' })] })).toContainEqual(
      expect.stringContaining('warm must be one of: python'),
    );
    expect(
      problemsOf({ languages: [entry({ warm: 'python', run: ['sh', '-e', '{source}'] })] }),
    ).toContainEqual(expect.stringContaining('warm needs a run command'));
  });

  it('rejects support files that escape the workspace', () => {
    expect(
      problemsOf({ languages: [entry({ supportFiles: [{ path: '../etc/passwd', content: '' }] })] }),
    ).toContainEqual(expect.stringContaining('supportFiles[0].path'));
  });
});

describe('installCatalogue', () => {
  it('detects versions by running the tool and resolves ids and aliases case-insensitively', async () => {
    const catalogue = await installCatalogue(parseCatalogue({ languages: [entry()] }, 'test.yaml'));
    const language = catalogue.resolve(' POSIX ');
    expect(language).toMatchObject({
      id: 'sh',
      available: true,
      installedVersion: '9.8.7',
      unavailableReason: null,
    });
    expect(catalogue.resolve('nope')).toBeUndefined();
  });

  it('hands a version command its stdin, for tools that have no version flag', async () => {
    const version = { argv: ['sh'], stdin: 'echo 4.5.6\n', pattern: '(\\d+\\.\\d+\\.\\d+)' };
    const catalogue = await installCatalogue(
      parseCatalogue({ languages: [entry({ version })] }, 'test.yaml'),
    );
    expect(catalogue.list()[0]?.installedVersion).toBe('4.5.6');
    expect(problemsOf({ languages: [entry({ version: { ...version, stdin: 1 } })] })).toEqual([
      'languages[0] (sh).version.stdin must be a string (what the version command reads)',
    ]);
  });

  it('lists a language whose tool is missing as unavailable with the reason', async () => {
    const catalogue = await installCatalogue(
      parseCatalogue(
        {
          languages: [entry({ version: { argv: ['remcode-no-such-tool', '--version'], pattern: '(\\d+)' } })],
        },
        'test.yaml',
      ),
    );
    expect(catalogue.list()[0]).toMatchObject({
      available: false,
      installedVersion: null,
      unavailableReason: 'remcode-no-such-tool is not installed',
    });
  });

  it('lists a language whose version output does not match as unavailable', async () => {
    const catalogue = await installCatalogue(
      parseCatalogue(
        { languages: [entry({ version: { argv: ['sh', '-c', 'echo none'], pattern: 'v(\\d+)' } })] },
        'test.yaml',
      ),
    );
    expect(catalogue.list()[0]?.unavailableReason).toMatch(/printed no version matching/);
  });

  it('lists a language whose version command hangs as unavailable after the timeout', async () => {
    const catalogue = await installCatalogue(
      parseCatalogue(
        { languages: [entry({ version: { argv: ['sleep', '30'], pattern: '(\\d+)' } })] },
        'test.yaml',
      ),
      { versionTimeoutMs: 200 },
    );
    expect(catalogue.list()[0]?.unavailableReason).toMatch(/did not answer in 200 ms/);
  });
});

describe('catalogue files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'remcode-catalogue-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports YAML syntax errors as CatalogueError', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'languages: [\n  - id: x\n');
    await expect(readCatalogueFile(file)).rejects.toBeInstanceOf(CatalogueError);
  });

  it('loads a catalogue from a given file', async () => {
    const file = join(dir, 'one.yaml');
    await writeFile(file, dump({ languages: [entry()] }));
    const catalogue = await loadCatalogue({ file });
    expect(catalogue.list().map((l) => l.id)).toEqual(['sh']);
  });

  it('ships a valid catalogue with every language the product promises', async () => {
    const ids = (await readCatalogueFile(defaultCatalogueFile())).map((l) => l.id);
    expect(ids).toEqual([
      'python',
      'c',
      'cpp',
      'javascript',
      'typescript',
      'java',
      'go',
      'rust',
      'bash',
      'ruby',
      'php',
      'perl',
      'lua',
      'csharp',
      'pypy',
      'haskell',
      'ocaml',
      'scala',
      'kotlin',
      'clojure',
      'groovy',
      'erlang',
      'elixir',
      'racket',
      'commonlisp',
      'scheme',
      'prolog',
      'fortran',
      'pascal',
      'cobol',
      'd',
      'ada',
      'objectivec',
      'r',
      'octave',
      'tcl',
      'awk',
      'sql',
      'brainfuck',
      'zsh',
      'fish',
      'raku',
    ]);
  });

  it('gives every shipped language a starter stdin that its starter reads', async () => {
    for (const language of await readCatalogueFile(defaultCatalogueFile()))
      expect(language.starterStdin, language.id).toBe('World\n');
  });

  it('ships the aliases users type', async () => {
    // Every version command of 42 toolchains would take longer than a unit test may: the aliases are
    // checked on a catalogue whose versions all come from one quick command.
    const definitions = await readCatalogueFile(defaultCatalogueFile());
    const catalogue = await installCatalogue(
      definitions.map((l) => ({
        ...l,
        version: { argv: ['sh', '-c', 'echo 1.0.0'], pattern: '(\\d+\\.\\d+\\.\\d+)' },
      })),
    );
    const expected: Record<string, string> = {
      python3: 'python',
      py: 'python',
      'c++': 'cpp',
      js: 'javascript',
      node: 'javascript',
      ts: 'typescript',
      golang: 'go',
      'c#': 'csharp',
      'C#': 'csharp',
      'lua5.4': 'lua',
      hs: 'haskell',
      clj: 'clojure',
      kt: 'kotlin',
      erl: 'erlang',
      lisp: 'commonlisp',
      guile: 'scheme',
      swipl: 'prolog',
      f90: 'fortran',
      fpc: 'pascal',
      cobc: 'cobol',
      gnat: 'ada',
      objc: 'objectivec',
      rscript: 'r',
      matlab: 'octave',
      gawk: 'awk',
      sqlite: 'sql',
      bf: 'brainfuck',
      perl6: 'raku',
      pypy3: 'pypy',
    };
    for (const [alias, id] of Object.entries(expected)) expect(catalogue.resolve(alias)?.id, alias).toBe(id);
  });
});
