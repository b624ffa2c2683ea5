import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthSource {
  /** Alive: the process answers. Ready: it takes jobs. */
  ready(): boolean;
  readonly registry: Registry;
}

/** `/healthz`, `/readyz` and `/metrics` of the executor; a plain http server is all this needs. */
export async function startHealthServer(
  source: HealthSource,
  port: number,
  host: string,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
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
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
