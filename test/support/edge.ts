/**
 * The edge proxy for tests, run from Debian's `haproxy` binary with the image's own configuration
 * (manifests/images/edge/haproxy.cfg). A host has no Docker DNS to fill the `server-template` slots, so
 * that one line becomes a static `server` line for a local webapp; the settings the image reads from its
 * environment (EDGE_PORT, EDGE_METRICS_PORT, WEBAPP_ADDRESS) point at free loopback ports. Everything
 * else (frontends, timeouts, retries, checks and the Prometheus exporter) is the configuration as shipped.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { startTool } from './tool-process.js';
import { until } from './until.js';

export const EDGE_CONFIG = new URL('../../manifests/images/edge/haproxy.cfg', import.meta.url);

const SERVER_TEMPLATE = /^(\s*)server-template\s+webapp\s+\d+\s+"\$\{WEBAPP_ADDRESS\}"\s*$/m;

/**
 * The shipped configuration with its server-template line replaced by `count` static servers, named as
 * the template names its slots (so the exporter labels them the same way), the first at WEBAPP_ADDRESS
 * and the others at WEBAPP_ADDRESS_2, WEBAPP_ADDRESS_3, ….
 */
export function localEdgeConfig(shipped: string, count = 1): string {
  if (!SERVER_TEMPLATE.test(shipped))
    throw new Error('the edge configuration has no `server-template webapp N "${WEBAPP_ADDRESS}"` line');
  const indent = SERVER_TEMPLATE.exec(shipped)?.[1] ?? '  ';
  const servers = Array.from(
    { length: count },
    (_, i) => `${indent}server webapp${i + 1} "\${WEBAPP_ADDRESS${i === 0 ? '' : `_${i + 1}`}}"`,
  ).join('\n');
  return shipped.replace(SERVER_TEMPLATE, () => servers);
}

export interface RunningEdge {
  /** Base URL of the `http` frontend, the platform's published port. */
  readonly url: string;
  /** host:port of the `metrics` frontend (/metrics and /healthz). */
  readonly metricsAddress: string;
  output(): string;
  close(): Promise<void>;
}

/**
 * Starts HAProxy in front of the webapp at `webappAddress` (host:port), or of several, and resolves once
 * it answers.
 */
export async function startEdge(webappAddress: string | readonly string[]): Promise<RunningEdge> {
  const addresses = typeof webappAddress === 'string' ? [webappAddress] : webappAddress;
  const dir = await mkdtemp(join(tmpdir(), 'remcode-edge-'));
  const configFile = join(dir, 'haproxy.cfg');
  await writeFile(configFile, localEdgeConfig(await readFile(EDGE_CONFIG, 'utf8'), addresses.length));
  const port = await freePort();
  const metricsPort = await freePort();
  // SIGUSR1 is the image's stop signal: stop listening, let open requests finish.
  const tool = startTool('haproxy', ['-db', '-f', configFile], {
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      EDGE_PORT: String(port),
      EDGE_METRICS_PORT: String(metricsPort),
      ...Object.fromEntries(
        addresses.map((address, i) => [`WEBAPP_ADDRESS${i === 0 ? '' : `_${i + 1}`}`, address]),
      ),
    },
    stopSignal: 'SIGUSR1',
    scratchDir: dir,
  });
  const { child, close, output } = tool;
  const metricsAddress = `127.0.0.1:${metricsPort}`;
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`haproxy exited:\n${output()}`);
        return fetch(`http://${metricsAddress}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      30_000,
      'haproxy to answer /healthz',
    );
  } catch (error) {
    await close();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, metricsAddress, output, close };
}
