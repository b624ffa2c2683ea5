import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthSource {
  /** Alive: the process answers. Ready: it takes jobs. */
  ready(): boolean;
  readonly registry: Registry;
}

export interface HealthServer {
  /** The port every address listens on; the one the system chose when asked for 0. */
  readonly port: number;
  readonly hosts: readonly string[];
  /** Stops listening on every address; idempotent. */
  close(): Promise<void>;
}

/**
 * `/healthz`, `/readyz` and `/metrics` of the executor; a plain http server is all this needs. It
 * listens on each of `hosts` rather than on every address, so that the metrics stay off the networks
 * the executor shares with programs that have no business reading them (docs/observability.md): one
 * server per address, all on one port.
 */
export async function startHealthServer(
  source: HealthSource,
  port: number,
  hosts: readonly string[],
): Promise<HealthServer> {
  if (hosts.length === 0) throw new Error('the health server needs an address to listen on');
  const handle: RequestListener = (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz')
      return source.ready() ? json(200, { status: 'ok' }) : json(503, { status: 'unavailable' });
    if (path === '/metrics') {
      source.registry.metrics().then(
        (body) => response.writeHead(200, { 'content-type': source.registry.contentType }).end(body),
        () => json(500, { status: 'error' }),
      );
      return;
    }
    json(404, { status: 'not found' });
  };
  const servers: Server[] = [];
  const closeAll = (): Promise<void> =>
    Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
          }),
      ),
    ).then(() => undefined);
  let chosen = port;
  try {
    for (const host of hosts) {
      const server = createServer(handle);
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(chosen, host, () => resolve());
      });
      // Port 0 lets the first address pick a free port; the others take the same one.
      chosen = (server.address() as AddressInfo).port;
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  return { port: chosen, hosts, close: closeAll };
}
