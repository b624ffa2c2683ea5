import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { uiPlugin } from './plugin.js';

const INDEX =
  '<!doctype html><title>RemCode</title><script type="module" src="/assets/index-abc123.js"></script>';
const SCRIPT = 'console.log("hello from the bundle");'.repeat(20);

describe('uiPlugin', () => {
  let root: string;
  let app: FastifyInstance;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'remcode-ui-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), INDEX);
    await writeFile(join(root, 'index.html.br'), brotliCompressSync(INDEX));
    await writeFile(join(root, 'assets', 'index-abc123.js'), SCRIPT);
    await writeFile(join(root, 'assets', 'index-abc123.js.br'), brotliCompressSync(SCRIPT));
    await writeFile(join(root, 'assets', 'index-abc123.js.gz'), gzipSync(SCRIPT));
    app = Fastify();
    await app.register(uiPlugin, { root });
  });

  afterEach(async () => {
    await app.close();
    await rm(root, { recursive: true, force: true });
  });

  it.each(['/', '/s/abc-123', '/history', '/status'])(
    'answers %s with index.html, revalidated on every load',
    async (url) => {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toBe(INDEX);
    },
  );

  it('serves the precompressed brotli file of index.html to a browser that accepts it', async () => {
    const res = await app.inject({ url: '/s/xyz', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.rawPayload.equals(brotliCompressSync(INDEX))).toBe(true);
  });

  it('caches hashed assets for a year and picks brotli, then gzip, by Accept-Encoding', async () => {
    const br = await app.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(br.statusCode).toBe(200);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['vary']).toMatch(/accept-encoding/i);

    const gz = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');

    const plain = await app.inject({ url: '/assets/index-abc123.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
  });

  it('answers 404 for a missing asset and refuses to leave the assets folder', async () => {
    expect((await app.inject({ url: '/assets/nope.js' })).statusCode).toBe(404);
    const escape = await app.inject({ url: '/assets/../index.html' });
    expect(escape.statusCode).not.toBe(200);
  });

  it('says how to build the UI when index.html is missing', async () => {
    await rm(join(root, 'index.html'));
    await rm(join(root, 'index.html.br'));
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:ui');
  });
});
