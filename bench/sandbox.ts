/**
 * npm run bench:sandbox — what the sandbox costs over a bare spawn of the same program.
 *
 * For a static C hello and a Python hello, interleaves (a) child_process.spawn from this process and
 * (b) a run in the sandbox, and prints p50/p90 wall time of each, the overhead (b - a) and the ratio.
 * It also times a whole job (acquire a workspace, place the file, run, release), which is what one
 * submission without a compile step costs. Interleaving keeps both sides under the same machine noise.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, warmInterpreter, type RunLimits, type Sandbox } from '../executor/sandbox/index.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const WARMUP = 20;
const THROUGHPUT_RUNS = Number(process.env.BENCH_THROUGHPUT_RUNS ?? 200);

const limits: RunLimits = {
  cpuTimeMs: 2000,
  wallTimeMs: 5000,
  memoryBytes: 256 * 1024 * 1024,
  processes: 32,
  outputBytes: 1024 * 1024,
  fileSizeBytes: 16 * 1024 * 1024,
  openFiles: 256,
  stackBytes: 8 * 1024 * 1024,
  tmpBytes: 64 * 1024 * 1024,
};

function bareSpawn(argv: string[], cwd: string): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`bare ${argv[0]} exited ${code}`));
      else resolve(Number(process.hrtime.bigint() - start) / 1e6);
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const COLD_ENV = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };
// Only runs with exactly the warm interpreter's environment start warm: the cold cases use another.
const WARM_ENV = { ...COLD_ENV, HOME: '/tmp' };

interface Case {
  name: string;
  file: string;
  content: Buffer;
  mode: number;
  argv: string[];
  warm?: boolean;
}

function checkRun(c: Case, r: { verdict: string; error: string | null; stderr: Buffer; warmStart: boolean }) {
  if (r.verdict !== 'ok')
    throw new Error(`sandboxed ${c.name}: ${r.verdict} ${r.error ?? ''} ${r.stderr.toString()}`);
  if (r.warmStart !== (c.warm ?? false)) throw new Error(`sandboxed ${c.name}: warm start ${r.warmStart}`);
}

async function measure(sandbox: Sandbox, c: Case, hostDir: string) {
  const bare: number[] = [];
  const boxed: number[] = [];
  const job: number[] = [];
  const cpu: number[] = [];
  const ws = await sandbox.acquire({ sizeBytes: 64 * 1024 * 1024 });
  await ws.writeFiles([{ path: c.file, content: c.content, mode: c.mode }]);
  const env = c.warm ? WARM_ENV : COLD_ENV;
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const b = await bareSpawn(c.argv, hostDir);
    const start = process.hrtime.bigint();
    const r = await ws.run({ argv: c.argv, env, limits });
    const s = Number(process.hrtime.bigint() - start) / 1e6;
    checkRun(c, r);
    const jobStart = process.hrtime.bigint();
    const w2 = await sandbox.acquire({ sizeBytes: 64 * 1024 * 1024 });
    await w2.writeFiles([{ path: c.file, content: c.content, mode: c.mode }]);
    const r2 = await w2.run({ argv: c.argv, env, limits });
    await w2.release();
    const j = Number(process.hrtime.bigint() - jobStart) / 1e6;
    checkRun(c, r2);
    if (i >= WARMUP) {
      bare.push(b);
      boxed.push(s);
      job.push(j);
      cpu.push(r.cpuTimeMs);
    }
  }
  await ws.release();
  return {
    bare: bare.sort((a, b) => a - b),
    boxed: boxed.sort((a, b) => a - b),
    job: job.sort((a, b) => a - b),
    cpu: cpu.sort((a, b) => a - b),
  };
}

/**
 * Throughput with every core busy: `concurrency` streams of whole jobs, bare versus sandboxed,
 * alternated in rounds. This is where work the kernel does after a run (namespace and cgroup teardown)
 * shows up, which the one-at-a-time latency above cannot see.
 */
async function throughput(sandbox: Sandbox, c: Case, hostDir: string, concurrency: number, runs: number) {
  const env = c.warm ? WARM_ENV : COLD_ENV;
  const drive = async (one: () => Promise<unknown>) => {
    let left = runs;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) await one();
      }),
    );
    return runs / (Number(process.hrtime.bigint() - start) / 1e9);
  };
  const sandboxed = async () => {
    const ws = await sandbox.acquire({ sizeBytes: 64 * 1024 * 1024 });
    try {
      await ws.writeFiles([{ path: c.file, content: c.content, mode: c.mode }]);
      const r = await ws.run({ argv: c.argv, env, limits });
      checkRun(c, r);
    } finally {
      await ws.release();
    }
  };
  const bare: number[] = [];
  const boxed: number[] = [];
  for (let round = 0; round < 3; round++) {
    bare.push(await drive(() => bareSpawn(c.argv, hostDir)));
    boxed.push(await drive(sandboxed));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
  return { bare: median(bare), boxed: median(boxed) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'remcode-bench-'));
  try {
    writeFileSync(join(dir, 'hello.c'), '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n');
    execFileSync('gcc', ['-O2', '-static', '-o', join(dir, 'hello'), join(dir, 'hello.c')]);
    writeFileSync(join(dir, 'hello.py'), 'print("hello")\n');
    const cases: Case[] = [
      {
        name: 'static C hello',
        file: 'hello',
        content: readFileSync(join(dir, 'hello')),
        mode: 0o755,
        argv: ['./hello'],
      },
      {
        name: 'python3 hello',
        file: 'hello.py',
        content: readFileSync(join(dir, 'hello.py')),
        mode: 0o644,
        argv: ['/usr/bin/python3', 'hello.py'],
      },
      {
        name: 'python3 hello, warm',
        file: 'hello.py',
        content: readFileSync(join(dir, 'hello.py')),
        mode: 0o644,
        argv: ['/usr/bin/python3', 'hello.py'],
        warm: true,
      },
    ];
    const slots = availableParallelism();
    const concurrency = slots * 4;
    const sandbox = await createSandbox({
      slots,
      warm: warmInterpreter('python', '/usr/bin/python3', WARM_ENV),
    });
    console.log(
      `sandbox: cgroup ${sandbox.info.cgroup}, ${ITERATIONS} interleaved iterations per case after ${WARMUP} warm-up\n`,
    );
    const throughputRows: string[][] = [['case', 'concurrency', 'bare', 'sandbox', 'sandbox/bare']];
    const rows: string[][] = [
      [
        'case',
        'bare p50',
        'bare p90',
        'sandbox p50',
        'sandbox p90',
        'overhead p50',
        'ratio p50',
        'whole job p50',
        'run CPU p50',
      ],
    ];
    try {
      for (const c of cases) {
        const m = await measure(sandbox, c, dir);
        const bp50 = percentile(m.bare, 50);
        const sp50 = percentile(m.boxed, 50);
        rows.push([
          c.name,
          `${bp50.toFixed(2)} ms`,
          `${percentile(m.bare, 90).toFixed(2)} ms`,
          `${sp50.toFixed(2)} ms`,
          `${percentile(m.boxed, 90).toFixed(2)} ms`,
          `${(sp50 - bp50).toFixed(2)} ms`,
          `${(sp50 / bp50).toFixed(2)}x`,
          `${percentile(m.job, 50).toFixed(2)} ms`,
          `${percentile(m.cpu, 50).toFixed(2)} ms`,
        ]);
      }
      for (const c of cases) {
        const t = await throughput(sandbox, c, dir, concurrency, THROUGHPUT_RUNS);
        throughputRows.push([
          c.name,
          String(concurrency),
          `${t.bare.toFixed(1)}/s`,
          `${t.boxed.toFixed(1)}/s`,
          `${((100 * t.boxed) / t.bare).toFixed(0)}%`,
        ]);
      }
    } finally {
      await sandbox.close();
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
    console.log(
      '\noverhead = sandbox p50 - bare p50 (target: at most 2 ms); whole job = acquire + place file + run + release;\nrun CPU = CPU time of the run as its cgroup counted it (a warm run leaves out the interpreter start-up)\n',
    );
    const tw = throughputRows[0]!.map((_, i) => Math.max(...throughputRows.map((r) => r[i]!.length)));
    for (const r of throughputRows) console.log(r.map((cell, i) => cell.padEnd(tw[i]!)).join('  '));
    console.log(
      `\nthroughput: whole jobs with ${slots} sandbox slots, ${THROUGHPUT_RUNS} per round, median of 3 alternated rounds`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
