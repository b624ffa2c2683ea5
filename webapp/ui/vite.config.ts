import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin, UserConfig } from 'vite';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);
const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|txt|map)$/;

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/**
 * Writes `.br` and `.gz` next to every text asset once, at build time, at the highest levels: the server
 * then only picks a file, and the compression cost is never paid per request.
 */
function precompress(outDir: string): Plugin {
  return {
    name: 'remcode-precompress',
    apply: 'build',
    async writeBundle() {
      for await (const path of files(outDir)) {
        if (!COMPRESSIBLE.test(path)) continue;
        const data = await readFile(path);
        if ((await stat(path)).size < 256) continue;
        const [br, gzipped] = await Promise.all([
          brotli(data, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
            },
          }),
          gz(data, { level: 9 }),
        ]);
        await Promise.all([writeFile(`${path}.br`, br), writeFile(`${path}.gz`, gzipped)]);
      }
    },
  };
}

const outDir = fileURLToPath(new URL('../../dist/ui', import.meta.url));

const config: UserConfig = {
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: 'public',
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // The precompression step is slow on purpose (maximum brotli level); no need to warn about it.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  plugins: [precompress(outDir)],
  server: {
    // `vite` dev server (optional): API calls go to the webapp.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
};

export default config;
