/**
 * npm run bench:languages — every language's hello world through the API against the same program
 * compiled and run directly on this host, in one run, so that both see the same machine.
 *
 * Starts a webapp and an executor (real processes, real sandbox) against a scratch database and Redis
 * prefix. For each available language of the catalogue, its starter program greets the starter stdin
 * (a hello world that also reads input) RUNS times each way, interleaved:
 * - bare: the catalogue's own compile and run argv, spawned from this process in a fresh directory with
 *   the environment the sandbox would give (PATH, HOME, LANG and the language's env), no sandbox;
 * - api: `POST /api/v1/submissions?wait=true` with the same source and stdin.
 * Every run gets a source no earlier run had (trailing blank lines, which every language here ignores),
 * so neither the compile cache nor a toolchain's own cache answers. Prints p50 per language, the
 * difference and the ratio, and how many languages meet the target (at most 3 ms or 10 % over bare,
 * whichever is larger).
 *
 * BENCH_RUNS (default 5) sets the runs per way; BENCH_LANGUAGES=python,c limits the languages.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expandArgv } from '../executor/languages/argv.js';
import {
  readCatalogueFile,
  defaultCatalogueFile,
  installCatalogue,
} from '../executor/languages/catalogue.js';
import type { InstalledLanguage } from '../executor/languages/types.js';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
} from '../test/support/isolation.js';
import { platformEnv, startExecutor, startWebapp } from '../test/support/processes.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ONLY = process.env.BENCH_LANGUAGES?.split(',').map((s) => s.trim());
const EXPECTED = 'Hello, World!\n';

const p50 = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};

/** The sandbox's /box and /tmp, moved to this run's own directories. */
function relocate(item: string, box: string, tmp: string): string {
  return item.replace(
    /(^|[:=])\/(box|tmp)(?=$|[:/])/g,
    (_, lead: string, name: string) => lead + (name === 'box' ? box : tmp),
  );
}

function spawnTimed(
  argv: readonly string[],
  cwd: string,
  env: Record<string, string>,
  stdin: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv as [string, ...string[]];
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

/** Compiles (when the language does) and runs the program directly; returns the milliseconds taken. */
async function bare(language: InstalledLanguage, source: string): Promise<number> {
  const box = await mkdtemp(join(tmpdir(), 'remcode-bench-box-'));
  const tmp = await mkdtemp(join(tmpdir(), 'remcode-bench-tmp-'));
  try {
    const files = [
      { path: language.sourceFile, content: source },
      ...language.supportFiles.filter((f) => f.path !== language.sourceFile),
    ];
    for (const file of files) {
      await mkdir(dirname(join(box, file.path)), { recursive: true });
      await writeFile(join(box, file.path), file.content);
    }
    const extension = language.sourceFile.slice(language.sourceFile.lastIndexOf('.'));
    const values = {
      source: language.sourceFile,
      sources: files.map((f) => f.path).filter((p) => p.endsWith(extension)),
    };
    const env: Record<string, string> = { PATH: '/usr/bin:/bin', HOME: tmp, LANG: 'C.UTF-8' };
    for (const [name, value] of Object.entries(language.env)) env[name] = relocate(value, box, tmp);
    const start = performance.now();
    if (language.compile) {
      const argv = expandArgv(language.compile, values).map((item) => relocate(item, box, tmp));
      const compiled = await spawnTimed(argv, box, env, '');
      if (compiled.code !== 0) throw new Error(`${language.id}: bare compile failed: ${compiled.stderr}`);
    }
    const argv = expandArgv(language.run, values).map((item) => relocate(item, box, tmp));
    const ran = await spawnTimed(argv, box, env, language.starterStdin);
    const ms = performance.now() - start;
    if (ran.stdout !== EXPECTED)
      throw new Error(`${language.id}: bare run printed ${JSON.stringify(ran.stdout)}, ${ran.stderr}`);
    return ms;
  } finally {
    await Promise.all([rm(box, { recursive: true, force: true }), rm(tmp, { recursive: true, force: true })]);
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function post(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function api(base: string, language: InstalledLanguage, source: string): Promise<number> {
  const body = JSON.stringify({ language: language.id, source, stdin: language.starterStdin });
  const start = performance.now();
  const response = await post(`${base}/api/v1/submissions?wait=true`, body);
  const ms = performance.now() - start;
  const result = JSON.parse(response.text) as { verdict?: string; stdout?: string };
  if (response.status !== 200 || result.verdict !== 'accepted' || result.stdout !== EXPECTED)
    throw new Error(`${language.id}: API answered ${response.status} ${response.text.slice(0, 300)}`);
  return ms;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const catalogue = await installCatalogue(await readCatalogueFile(defaultCatalogueFile()));
  const languages = catalogue
    .list()
    .filter((l) => l.available && (ONLY === undefined || ONLY.includes(l.id)));
  const db = await createTestDatabase();
  const prefix = testPrefix();
  const env = platformEnv(
    { databaseUrl: db.url, redisUrl: TEST_REDIS_URL, prefix },
    {
      // info: the start lines are how the harness knows each process is up.
      LOG_LEVEL: 'info',
      // A Scala compile takes seconds: the request waits for it rather than answering 202.
      REMCODE_WAIT_TIMEOUT: '120s',
    },
  );
  const web = await startWebapp(env);
  const executor = await startExecutor(env);
  let serial = 0;
  const fresh = (language: InstalledLanguage): string => `${language.starter}${'\n'.repeat(++serial % 50)}\n`;
  try {
    console.log(
      `languages bench: starter hello world with its stdin, ${RUNS} runs per way and language, fresh source each run, ${availableParallelism()} cores`,
    );
    const rows = [['language', 'bare p50 ms', 'api p50 ms', 'api - bare', 'ratio', 'target']];
    let met = 0;
    for (const language of languages) {
      // One warm-up each way: page cache and the executor's first job, not a compile cache.
      await bare(language, fresh(language));
      await api(web.url, language, fresh(language));
      const bareMs: number[] = [];
      const apiMs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        bareMs.push(await bare(language, fresh(language)));
        apiMs.push(await api(web.url, language, fresh(language)));
      }
      const b = p50(bareMs);
      const a = p50(apiMs);
      const ok = a - b <= Math.max(3, b * 0.1);
      if (ok) met++;
      rows.push([
        language.id,
        b.toFixed(1),
        a.toFixed(1),
        (a - b).toFixed(1),
        (a / b).toFixed(2),
        ok ? 'met' : '-',
      ]);
      console.log(`  ${language.id}: bare ${b.toFixed(1)} ms, api ${a.toFixed(1)} ms`);
    }
    console.log(`\n${table(rows)}\n`);
    console.log(`${met} of ${languages.length} languages within 3 ms or 10 % of bare, whichever is larger`);
  } finally {
    agent.destroy();
    executor.kill('SIGTERM');
    web.process.kill('SIGTERM');
    await Promise.all([executor.exited, web.process.exited]);
    await db.drop();
    await deleteRedisPrefix(prefix);
  }
}

await main();
