/**
 * npm run bench:edge — what the edge (HAProxy in front of the webapp tasks) costs, and how GET
 * throughput grows with webapp replicas.
 *
 * Brings up the platform from manifests/remcode.yaml on the local Swarm (a unique stack, its own
 * ports), then measures with wrk, in one run: the same requests sent straight to one webapp task (the
 * task's port published in host mode for this phase only), then through the edge with 1, 2 and 4
 * webapp replicas. Requests: GET /api/v1/submissions/:id of a stored submission, and POST
 * ?wait=true of a Python hello world. Prints p50/p99 and requests per second, and the edge's added p50.
 * Target: the edge adds at most 0.5 ms at p50; GET throughput grows with replicas until the cores are
 * full. Needs root, Docker in Swarm mode and wrk (installed from Debian when missing).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureImages, startPlatform, type PlatformStack } from '../test/support/platform-stack.js';
import { waitFor } from '../test/support/swarm.js';

const run = promisify(execFile);
const EDGE_PORT = Number(process.env.BENCH_EDGE_PORT ?? 18_090);
const DIRECT_PORT = EDGE_PORT + 1;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const GET_CONNECTIONS = Number(process.env.BENCH_GET_CONNECTIONS ?? 16);
const POST_CONNECTIONS = Number(process.env.BENCH_POST_CONNECTIONS ?? 4);

interface Measurement {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly perSecond: number;
  readonly errors: number;
}

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`cannot read wrk's latency ${text}`);
  const value = Number(match[1]);
  const unit = match[2];
  return unit === 'us' ? value / 1000 : unit === 'ms' ? value : unit === 's' ? value * 1000 : value * 60_000;
}

/** Parses wrk's --latency report. */
function parseWrk(output: string): Measurement {
  const p50 = /^\s+50%\s+(\S+)\s*$/m.exec(output)?.[1];
  const p99 = /^\s+99%\s+(\S+)\s*$/m.exec(output)?.[1];
  const rate = /^Requests\/sec:\s+([\d.]+)\s*$/m.exec(output)?.[1];
  if (p50 === undefined || p99 === undefined || rate === undefined)
    throw new Error(`unexpected wrk output:\n${output}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { p50Ms: toMs(p50), p99Ms: toMs(p99), perSecond: Number(rate), errors: non2xx + socketErrors };
}

async function wrk(url: string, connections: number, script?: string): Promise<Measurement> {
  const args = ['--latency', '-t', '2', '-c', String(connections), '-d', `${SECONDS}s`, '--timeout', '30s'];
  if (script) args.push('-s', script);
  const { stdout } = await run('wrk', [...args, url], { maxBuffer: 1 << 22 });
  return parseWrk(stdout);
}

async function ensureWrk(): Promise<void> {
  try {
    await run('wrk', ['--version']);
  } catch (error) {
    // wrk prints its version and exits 1: only a missing binary is a reason to install it.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'wrk']);
  }
}

async function storedSubmission(base: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/submissions?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'python', source: 'print("Hello, World!")' }),
  });
  const body = (await response.json()) as { id?: string; state?: string };
  if (response.status !== 200 || body.id === undefined)
    throw new Error(`setup submission: ${response.status}`);
  return body.id;
}

async function replicas(platform: PlatformStack, count: number, direct: boolean): Promise<void> {
  const webapp = platform.desired.services.webapp as {
    replicas?: number;
    ports?: { target: number; published: number; mode?: 'host' | 'ingress' }[];
  };
  webapp.replicas = count;
  if (direct) webapp.ports = [{ target: 8080, published: DIRECT_PORT, mode: 'host' }];
  else delete webapp.ports;
  await platform.apply();
  await platform.settled('webapp');
  // The edge re-resolves every second and needs one passing check per new task.
  await waitFor(
    `the edge to see ${count} ready webapp tasks`,
    async () => (await readyBehindEdge(platform)) === count,
    60_000,
  );
}

/** Webapp servers the edge has up, from its own metrics (read inside its container). */
async function readyBehindEdge(platform: PlatformStack): Promise<number> {
  const [edge] = await platform.containers('edge');
  if (!edge) return -1;
  const text = await platform.exec(edge.Id, [
    'bash',
    '-c',
    'exec 3<>/dev/tcp/127.0.0.1/8405; printf "GET /metrics HTTP/1.0\\r\\n\\r\\n" >&3; cat <&3',
  ]);
  const match = /^haproxy_backend_active_servers\{proxy="webapp"\} (\d+)/m.exec(text);
  return match ? Number(match[1]) : -1;
}

interface Row {
  readonly mode: string;
  readonly get: Measurement;
  readonly post: Measurement;
}

async function measure(mode: string, base: string, id: string, postScript: string): Promise<Row> {
  // New tasks compile their hot paths and open their Postgres pools in the first seconds: not measured.
  await run('wrk', [
    '-t',
    '2',
    '-c',
    String(GET_CONNECTIONS),
    '-d',
    '3s',
    `${base}/api/v1/submissions/${id}`,
  ]);
  const get = await wrk(`${base}/api/v1/submissions/${id}`, GET_CONNECTIONS);
  const post = await wrk(`${base}/api/v1/submissions?wait=true`, POST_CONNECTIONS, postScript);
  console.log(
    `  ${mode}: GET ${get.perSecond.toFixed(0)}/s p50 ${get.p50Ms.toFixed(2)} ms; ` +
      `POST ${post.perSecond.toFixed(0)}/s p50 ${post.p50Ms.toFixed(2)} ms`,
  );
  return { mode, get, post };
}

async function main(): Promise<void> {
  await ensureWrk();
  console.log('==> images');
  await ensureImages();
  const scratch = await mkdtemp(join(tmpdir(), 'remcode-bench-edge-'));
  const postScript = join(scratch, 'post.lua');
  await writeFile(
    postScript,
    [
      'wrk.method = "POST"',
      'wrk.headers["content-type"] = "application/json"',
      // A long bracket string: Lua would read the JSON's backslash escapes in a quoted one.
      `wrk.body = [[${JSON.stringify({ language: 'python', source: 'print("Hello, World!")' })}]]`,
      '',
    ].join('\n'),
  );
  console.log('==> platform');
  const platform = await startPlatform({ port: EDGE_PORT, webappReplicas: 1 });
  const rows: Row[] = [];
  try {
    const id = await storedSubmission(platform.base);
    await replicas(platform, 1, true);
    const direct = `http://127.0.0.1:${DIRECT_PORT}`;
    await waitFor('the direct port', async () => (await fetch(`${direct}/readyz`)).ok, 60_000);
    console.log('==> measuring');
    rows.push(await measure('direct, 1 task', direct, id, postScript));
    rows.push(await measure('edge, 1 task', platform.base, id, postScript));
    for (const count of [2, 4]) {
      await replicas(platform, count, false);
      rows.push(await measure(`edge, ${count} tasks`, platform.base, id, postScript));
    }
  } finally {
    await platform.remove();
    await rm(scratch, { recursive: true, force: true });
  }

  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(16) : cell.padStart(10))).join(' ');
  console.log(
    `\nedge bench: ${SECONDS} s per measurement, GET at ${GET_CONNECTIONS} connections, POST ?wait=true at ` +
      `${POST_CONNECTIONS}, ${availableParallelism()} cores\n`,
  );
  console.log(
    line(['mode', 'GET/s', 'GET p50', 'GET p99', 'GET err', 'POST/s', 'POST p50', 'POST p99', 'POST err']),
  );
  for (const row of rows) {
    console.log(
      line([
        row.mode,
        row.get.perSecond.toFixed(0),
        `${row.get.p50Ms.toFixed(2)} ms`,
        `${row.get.p99Ms.toFixed(2)} ms`,
        String(row.get.errors),
        row.post.perSecond.toFixed(1),
        `${row.post.p50Ms.toFixed(2)} ms`,
        `${row.post.p99Ms.toFixed(2)} ms`,
        String(row.post.errors),
      ]),
    );
  }
  const [direct, edgeOne] = rows;
  if (direct && edgeOne) {
    const added = edgeOne.get.p50Ms - direct.get.p50Ms;
    console.log(
      `\nthe edge adds ${added.toFixed(2)} ms at GET p50 (target <= 0.5 ms); ` +
        `POST p50 ${(edgeOne.post.p50Ms - direct.post.p50Ms).toFixed(2)} ms`,
    );
    const growth = rows.slice(1).map((row) => (row.get.perSecond / edgeOne.get.perSecond).toFixed(2));
    console.log(`GET throughput through the edge with 1, 2, 4 tasks, relative to 1: ${growth.join(', ')}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
