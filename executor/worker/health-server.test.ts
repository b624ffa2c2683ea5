import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer } from './health-server.js';
import type { HealthServer } from './health-server.js';

const started: HealthServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

/** The error code of a refused fetch (`ECONNREFUSED`), or the status of an answered one. */
async function attempt(url: string): Promise<number | string> {
  try {
    return (await fetch(url)).status;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(error);
  }
}

describe('startHealthServer', () => {
  it('answers on each address it was given, all on one port, and on no other address', async () => {
    // Loopback holds all of 127.0.0.0/8 on Linux: two addresses stand for the monitoring network's and
    // 127.0.0.1, a third for the network the metrics must stay off.
    const server = await startHealthServer({ ready: () => true, registry: new Registry() }, 0, [
      '127.0.0.2',
      '127.0.0.1',
    ]);
    started.push(server);
    expect(server.port).toBeGreaterThan(0);
    expect(await attempt(`http://127.0.0.2:${server.port}/metrics`)).toBe(200);
    expect(await attempt(`http://127.0.0.1:${server.port}/healthz`)).toBe(200);
    expect(await attempt(`http://127.0.0.3:${server.port}/metrics`)).toBe('ECONNREFUSED');
  });

  it('fails, holding no port, when one address cannot be bound', async () => {
    // 192.0.2.1 (TEST-NET-1) is on no interface of this machine.
    await expect(
      startHealthServer({ ready: () => true, registry: new Registry() }, 0, ['127.0.0.1', '192.0.2.1']),
    ).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });

  it('closes every address, and closing twice is harmless', async () => {
    const server = await startHealthServer({ ready: () => false, registry: new Registry() }, 0, [
      '127.0.0.2',
      '127.0.0.1',
    ]);
    expect(await attempt(`http://127.0.0.1:${server.port}/readyz`)).toBe(503);
    await server.close();
    await server.close();
    expect(await attempt(`http://127.0.0.1:${server.port}/healthz`)).toBe('ECONNREFUSED');
    expect(await attempt(`http://127.0.0.2:${server.port}/healthz`)).toBe('ECONNREFUSED');
  });
});
