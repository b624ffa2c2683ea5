import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Serves the browser UI built by Vite. Files under `assets/` carry a content hash in their name, so they
 * are cached for a year; `index.html` is revalidated on every load so a new build shows up at once.
 * Vite's build writes `.br` and `.gz` siblings of every text asset, and @fastify/static picks the one
 * the browser accepts, so no request pays for compression.
 */
export interface UiPluginOptions {
  /** Folder holding the built UI. Default: `dist/ui` of the package this file belongs to. */
  readonly root?: string;
}

/** Paths the single-page UI answers with its `index.html`. */
export const UI_PAGES = ['/', '/s/:id', '/history', '/status'] as const;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // Works both from the sources (webapp/ui-server) and from the compiled output (dist/webapp/ui-server).
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

export function defaultUiRoot(): string {
  return join(packageRoot(), 'dist', 'ui');
}

function notBuilt(reply: FastifyReply): FastifyReply {
  return reply
    .code(503)
    .header('cache-control', REVALIDATE)
    .type('text/plain; charset=utf-8')
    .send(
      'The web UI has not been built yet. Run `npm run build:ui` (or `npm start`, which builds it) and reload.\n',
    );
}

export async function uiPlugin(app: FastifyInstance, options: UiPluginOptions = {}): Promise<void> {
  const root = resolve(options.root ?? defaultUiRoot());
  const assets = join(root, 'assets');

  await app.register(fastifyStatic, {
    root: assets,
    prefix: '/assets/',
    preCompressed: true,
    cacheControl: false,
    etag: true,
    lastModified: false,
    index: false,
    // Also applies to reply.sendFile below, which serves index.html from outside the assets folder.
    setHeaders: (reply: FastifyReply, path: string) => {
      reply.header('cache-control', path.startsWith(assets + sep) ? IMMUTABLE : REVALIDATE);
    },
  });

  // Checked per request so that a UI built after the server started (or rebuilt by `dev:ui`) is served.
  const sendIndex = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    if (!existsSync(join(root, 'index.html'))) return notBuilt(reply);
    return reply.sendFile('index.html', root, { cacheControl: false });
  };
  for (const url of UI_PAGES) app.get(url, sendIndex);
  app.get('/favicon.svg', async (_request, reply) => {
    if (!existsSync(join(root, 'favicon.svg'))) return reply.callNotFound();
    return reply.sendFile('favicon.svg', root, { cacheControl: false });
  });
}

// Lets the webapp register this without fastify-plugin: the routes need no encapsulation escape.
export default uiPlugin;
