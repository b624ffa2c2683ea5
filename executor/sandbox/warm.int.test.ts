/**
 * Warm starts against cold ones, on the real sandbox: a program must not be able to tell which one ran
 * it (beyond the documented differences), must get the same limits and isolation, and must find nothing
 * of the program that ran before it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { languageEnv } from '../judge/judge.js';
import { MiB, TEST_RUN_LIMITS } from '../../test/support/run-limits.js';
import { createSandbox, warmInterpreter, type RunLimits, type RunResult, type Sandbox } from './index.js';

const limits = TEST_RUN_LIMITS;
// The environment the executor gives Python runs (catalogue entry plus PATH, HOME and LANG).
const env = languageEnv({ env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' } });

let cold: Sandbox;
let warm: Sandbox;
const logs: string[] = [];
beforeAll(async () => {
  [cold, warm] = await Promise.all([
    createSandbox({ slots: 1 }),
    createSandbox({
      slots: 1,
      warm: warmInterpreter('python', 'python3', env),
      onLog: (level, message) => logs.push(`${level} ${message}`),
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([cold.close(), warm.close()]);
});

interface Program {
  readonly source: string;
  readonly args?: readonly string[];
  readonly stdin?: string;
  readonly files?: readonly { path: string; content: string | Buffer }[];
  readonly entry?: string;
  readonly env?: Record<string, string>;
  readonly limits?: Partial<RunLimits>;
}

async function runIn(sandbox: Sandbox, program: Program): Promise<RunResult> {
  const ws = await sandbox.acquire({ sizeBytes: 32 * MiB });
  try {
    const files = [{ path: 'main.py', content: program.source }, ...(program.files ?? [])];
    await ws.writeFiles(files.map((f) => ({ path: f.path, content: Buffer.from(f.content) })));
    return await ws.run({
      argv: ['python3', program.entry ?? 'main.py', ...(program.args ?? [])],
      env: program.env ?? env,
      limits: { ...limits, ...program.limits },
      stdin: Buffer.from(program.stdin ?? ''),
    });
  } finally {
    await ws.release();
  }
}

/** What a test compares: how the run ended and everything it printed. */
function outcome(r: RunResult) {
  return {
    verdict: r.verdict,
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: r.stdout.toString(),
    stderr: r.stderr.toString(),
  };
}

async function both(program: Program): Promise<{ cold: RunResult; warm: RunResult }> {
  const c = await runIn(cold, program);
  const w = await runIn(warm, program);
  expect(c.warmStart).toBe(false);
  expect(w.warmStart).toBe(true);
  return { cold: c, warm: w };
}

// Everything about the process that Python or the kernel lets a program read cheaply.
const PROBE = `
g = [(k, type(v).__name__ if k in ('__loader__', '__builtins__') else v) for k, v in globals().items()]
import json, os, resource, signal, sys
def status():
    keep = ('Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs',
            'Seccomp', 'Seccomp_filters')
    return {k: v.strip() for k, v in (line.split(':', 1) for line in open('/proc/self/status')) if k in keep}
print(json.dumps({
    'globals': g, 'argv': sys.argv, 'orig_argv': sys.orig_argv, 'path': sys.path,
    'executable': sys.executable, 'flags': repr(sys.flags), 'prefix': [sys.prefix, sys.exec_prefix],
    'cwd': os.getcwd(), 'pid': os.getpid(), 'ppid': os.getppid(), 'sid': os.getsid(0),
    'ids': [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups()],
    'env': dict(os.environ), 'umask': os.umask(0o22), 'hostname': os.uname().nodename,
    'stdio': [[s.encoding, s.errors, s.seekable(), s.line_buffering, s.write_through, s.isatty()]
              for s in (sys.stdin, sys.stdout, sys.stderr)],
    'fds': sorted(os.listdir('/proc/self/fd')),
    'limits': {n: resource.getrlimit(getattr(resource, n)) for n in dir(resource) if n.startswith('RLIMIT_')},
    'signals': {s.name: str(signal.getsignal(s)) for s in signal.Signals
                if s not in (signal.SIGKILL, signal.SIGSTOP)},
    'blocked': sorted(map(str, signal.pthread_sigmask(signal.SIG_BLOCK, []))),
    'status': status(), 'recursion': sys.getrecursionlimit(), 'stdin': sys.stdin.read(),
}, sort_keys=True))
`;

/** Replaces sys.stdout with a stream whose flush fails, which the interpreter reports at exit (status 120). */
const UNFLUSHABLE_STDOUT =
  'import sys\nclass Out:\n    closed = False\n    def __repr__(self):\n        return "Out"\n    def write(self, text):\n        return len(text)\n    def flush(self):\n        raise OSError("cannot flush")\nsys.stdout = Out()\n';

describe('a warm start looks like a cold one', () => {
  it('gives the program the same globals, argv, paths, streams, limits, signals and privileges', async () => {
    const { cold: c, warm: w } = await both({
      source: PROBE,
      args: ['two words', '--flag', 'ünï'],
      stdin: 'line one\nline two',
    });
    expect(c.verdict).toBe('ok');
    const coldState = JSON.parse(c.stdout.toString()) as Record<string, unknown>;
    const warmState = JSON.parse(w.stdout.toString()) as Record<string, unknown>;
    expect(warmState).toEqual(coldState);
    // and the state is the sandbox's, not the root interpreter's it was copied from
    expect(warmState['ids']).toEqual([61000, 61000, 61000, 61000, []]);
    expect(warmState['status']).toMatchObject({ CapEff: '0000000000000000', NoNewPrivs: '1', Seccomp: '2' });
    expect(warmState['pid']).toBe(2);
    expect(warmState['cwd']).toBe('/box');
  });

  it.each([
    ['an uncaught exception', 'def f():\n    raise ValueError("bad")\nprint("before")\nf()\n'],
    ['a syntax error', 'print("never"\n'],
    ['sys.exit with a message', 'import sys\nprint("x")\nsys.exit("stopped here")\n'],
    ['sys.exit with a status', 'import sys\nsys.exit(3)\n'],
    ['an exception raised while handling another', 'try:\n    1/0\nexcept ZeroDivisionError:\n    {}["k"]\n'],
    ['KeyboardInterrupt', 'import atexit\natexit.register(print, "atexit ran")\nraise KeyboardInterrupt\n'],
    ['a kill by signal', 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n'],
    [
      'finalizers at exit',
      'class A:\n    def __del__(self):\n        print("del ran")\na = A()\nimport atexit\natexit.register(print, "bye")\n',
    ],
    [
      'finalizers of a reference cycle at exit',
      'class A:\n    def __del__(self):\n        print("cycle freed")\na = A()\na.me = a\ndel a\nprint("end")\n',
    ],
    [
      'a finalizer on an object kept in a module loaded at start-up',
      'import os\nclass A:\n    def __del__(self):\n        print("del ran")\nos.kept = A()\n',
    ],
    [
      'an explicit collection',
      'import gc\nclass A:\n    pass\na = A()\na.me = a\ndel a\nprint(gc.collect() > 0, gc.isenabled(), gc.get_threshold())\n',
    ],
    [
      'finalizers of several globals, private names first',
      'class A:\n    def __init__(self, n):\n        self.n = n\n    def __del__(self):\n        print("del", self.n)\nb = A("b")\n_a = A("_a")\n__c = A("__c")\nd = [A("d")]\n',
    ],
    [
      'finalizers in a module the program made',
      'import sys, types\nm = types.ModuleType("made")\nexec("class A:\\n    def __del__(self):\\n        print(\'made del\')\\na = A()\\n", m.__dict__)\nsys.modules["made"] = m\ndel m\nprint("end")\n',
    ],
    [
      'a finalizer after an uncaught exception',
      'class A:\n    def __del__(self):\n        print("del ran")\na = A()\nraise ValueError("late")\n',
    ],
    [
      'a thread still running at exit',
      'import threading, time\ndef work():\n    time.sleep(0.05)\n    print("thread done")\nthreading.Thread(target=work).start()\nprint("main done")\n',
    ],
    // A callback whose repr holds no address: the warm copy shares the interpreter's layout (see docs).
    ['an atexit callback that raises', 'import atexit\natexit.register(int, "x")\nprint("end")\n'],
    ['a standard output that cannot be flushed at exit', UNFLUSHABLE_STDOUT],
    ['a standard output the program closed', 'import sys\nprint("kept")\nsys.stdout.close()\n'],
    [
      'output left in a replaced standard output',
      'import io, sys\nprint("first")\nsys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False))\nprint("second")\n',
    ],
    ['a non-UTF-8 source with a coding cookie', '# -*- coding: latin-1 -*-\nprint("caf\\xe9")\n'],
    ['an import from the program directory', 'import helper\nprint(helper.VALUE, helper.__file__)\n'],
  ])('ends the same way on %s', async (_name, source) => {
    const { cold: c, warm: w } = await both({
      source,
      files: [{ path: 'helper.py', content: 'VALUE = 42\n' }],
    });
    expect(outcome(w)).toEqual(outcome(c));
  });

  // The interpreter raises this audit event while tearing itself down, after every finalizer of the
  // program has run; a warm program skips that teardown unless its exit has something unusual to report.
  const TEARDOWN_PROBE = (extra: string): string =>
    `import os, sys\ndef hook(event, args, write=os.write):\n    if event == 'cpython.PyInterpreterState_Clear':\n        write(2, b'torn down\\n')\nsys.addaudithook(hook)\nprint('end')\n${extra}`;

  it('ends a program without tearing down the copied interpreter', async () => {
    const { cold: c, warm: w } = await both({ source: TEARDOWN_PROBE('') });
    expect(outcome(c)).toMatchObject({ exitCode: 0, stdout: 'end\n', stderr: 'torn down\n' });
    expect(outcome(w)).toMatchObject({ exitCode: 0, stdout: 'end\n', stderr: '' });
  });

  it.each([
    ['an atexit callback', 'import atexit\natexit.register(print, "bye")\n', 0],
    ['a standard output that cannot be flushed', UNFLUSHABLE_STDOUT, 120],
  ])('leaves an exit with %s to the interpreter itself', async (_name, extra, status) => {
    const { cold: c, warm: w } = await both({ source: TEARDOWN_PROBE(extra) });
    expect(c.exitCode).toBe(status);
    expect(outcome(w)).toEqual(outcome(c));
    expect(w.stderr.toString()).toMatch(/torn down\n$/);
  });

  it('leaves a missing, directory or zip-archive entry to a cold start of the interpreter', async () => {
    const missing = await both({ source: 'print(1)\n', entry: 'missing.py' });
    expect(outcome(missing.warm)).toEqual(outcome(missing.cold));
    expect(missing.cold.stderr.toString()).toContain("can't open file '/box/missing.py'");
    const directory = await both({
      source: 'print(1)\n',
      entry: 'pkg',
      files: [{ path: 'pkg/__main__.py', content: 'print("from a directory")\n' }],
    });
    expect(outcome(directory.warm)).toEqual(outcome(directory.cold));
    expect(directory.warm.stdout.toString()).toBe('from a directory\n');
    // A zip archive with a __main__.py, under a name that does not say so.
    const archive = execFileSync('python3', [
      '-c',
      'import io, sys, zipfile\nb = io.BytesIO()\nwith zipfile.ZipFile(b, "w") as z:\n' +
        '    z.writestr("__main__.py", "print(\'from a zip\')")\nsys.stdout.buffer.write(b.getvalue())',
    ]);
    const zipped = await both({
      source: 'print(1)\n',
      entry: 'app.py',
      files: [{ path: 'app.py', content: archive }],
    });
    expect(outcome(zipped.warm)).toEqual(outcome(zipped.cold));
    expect(zipped.warm.stdout.toString()).toBe('from a zip\n');
  });
});

describe('limits and isolation', () => {
  it('enforces the memory, CPU and output limits as on a cold start', async () => {
    const memory = await runIn(warm, {
      source: 'x = bytearray(200 * 1024 * 1024)\nprint(len(x))\n',
      limits: { memoryBytes: 64 * MiB },
    });
    expect(memory.warmStart).toBe(true);
    expect(memory.verdict).toBe('memory_limit_exceeded');
    const cpu = await runIn(warm, { source: 'while True:\n    pass\n', limits: { cpuTimeMs: 300 } });
    expect(cpu.verdict).toBe('time_limit_exceeded');
    expect(cpu.timeLimit).toBe('cpu');
    const output = await runIn(warm, { source: 'while True:\n    print("y" * 1000)\n' });
    expect(output.verdict).toBe('output_limit_exceeded');
  });

  it('gives each program a pristine interpreter: nothing a program changes reaches the next', async () => {
    const meddle = `
import os, random, sys, json
print(json.dumps({
    'marker': getattr(json, 'MARKER', None),
    'env': os.environ.get('LEFT_BEHIND'),
    'tmp': os.listdir('/tmp'),
    'path': sys.path[-1],
    'random': random.random(),
}))
json.MARKER = 'set by an earlier program'
os.environ['LEFT_BEHIND'] = '1'
sys.path.append('/planted')
open('/tmp/planted', 'w').write('x')
`;
    const first = await runIn(warm, { source: meddle });
    const second = await runIn(warm, { source: meddle });
    expect(second.warmStart).toBe(true);
    const a = JSON.parse(first.stdout.toString()) as Record<string, unknown>;
    const b = JSON.parse(second.stdout.toString()) as Record<string, unknown>;
    expect(b).toMatchObject({ marker: null, env: null, tmp: [] });
    expect(b['path']).not.toBe('/planted');
    // random seeds itself when the program imports it, not once for every copy of the interpreter
    expect(b['random']).not.toBe(a['random']);
  });

  it('cannot reach the root interpreter it was copied from', async () => {
    const r = await runIn(warm, {
      source: `
import os
# The interpreter is outside the box's PID namespace, and the box's init (root) is hidden from the
# program's /proc (hidepid=invisible): only the program itself is listed.
print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
try:
    os.kill(1, 9)
    print('killed init')
except OSError as e:
    print('kill init:', e.errno)
`,
    });
    expect(r.warmStart).toBe(true);
    expect(r.stdout.toString()).toBe('[2]\nkill init: 1\n');
  });
});

describe('which runs start warm', () => {
  it('starts other commands and environments cold, and they still run', async () => {
    const ws = await warm.acquire({ sizeBytes: 32 * MiB });
    try {
      await ws.writeFiles([
        { path: 'main.py', content: Buffer.from('import os\nprint(os.environ.get("X"))\n') },
      ]);
      const option = await ws.run({ argv: ['python3', '-c', 'print("c")'], env, limits });
      const otherEnv = await ws.run({ argv: ['python3', 'main.py'], env: { ...env, X: '1' }, limits });
      const fewerEnv = await ws.run({ argv: ['python3', 'main.py'], env: { PATH: env['PATH']! }, limits });
      const otherTool = await ws.run({ argv: ['sh', '-c', 'echo sh'], env, limits });
      const same = await ws.run({ argv: ['python3', 'main.py'], env, limits });
      expect([option, otherEnv, fewerEnv, otherTool, same].map((r) => r.warmStart)).toEqual([
        false,
        false,
        false,
        false,
        true,
      ]);
      expect([option, otherEnv, otherTool, same].map((r) => r.stdout.toString())).toEqual([
        'c\n',
        '1\n',
        'sh\n',
        'None\n',
      ]);
    } finally {
      await ws.release();
    }
  });

  it('falls back to cold starts when the warm interpreter dies', async () => {
    const sandbox = await createSandbox({ slots: 1, warm: warmInterpreter('python', 'python3', env) });
    try {
      expect((await runIn(sandbox, { source: 'print(1)' })).warmStart).toBe(true);
      const interpreters = warmInterpreterPids();
      expect(interpreters.length).toBeGreaterThan(0);
      for (const pid of interpreters) process.kill(pid, 'SIGKILL');
      // The box it had already made still serves one run; after that every run starts cold.
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await runIn(sandbox, { source: 'print("still here")' }));
      expect(results.map((r) => r.stdout.toString())).toEqual(Array(3).fill('still here\n'));
      expect(results.at(-1)!.warmStart).toBe(false);
    } finally {
      await sandbox.close();
    }
  });

  it('reports a warm interpreter that cannot start and keeps the slot working cold', async () => {
    const messages: string[] = [];
    const sandbox = await createSandbox({
      slots: 1,
      warm: { argv: ['no-such-interpreter', '-c', ''], env },
      onLog: (level, message, fields) => messages.push(`${level} ${message} ${JSON.stringify(fields)}`),
    });
    try {
      expect(messages.join('\n')).toMatch(
        /warn warm interpreter did not start.*no-such-interpreter not found/,
      );
      const r = await runIn(sandbox, { source: 'print("cold")' });
      expect(r.warmStart).toBe(false);
      expect(r.stdout.toString()).toBe('cold\n');
    } finally {
      await sandbox.close();
    }
  });
});

/**
 * Warm interpreters are python3 processes whose parent is one of our helpers, in the helper's own PID
 * namespace (the boxes cloned from them are the helper's children too, but each is pid 1 of its own).
 */
function warmInterpreterPids(): number[] {
  const parentOf = (pid: string): number | null => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return null;
    }
  };
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const helpers = new Set(
    pids.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('remcode-sandbox');
      } catch {
        return false;
      }
    }),
  );
  return pids
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const nsPids = /^NSpid:\s*(.*)$/m
          .exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
          ?.split(/\s+/);
        return (
          cmdline[0] === 'python3' &&
          cmdline[1] === '-c' &&
          helpers.has(String(parentOf(pid))) &&
          nsPids?.length === 1
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}
