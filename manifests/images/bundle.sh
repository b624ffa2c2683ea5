#!/bin/sh
# Bundles each named entry file with its npm dependencies into one ES module under dist/bundle/, at
# the entry's own path (webapp/main.ts becomes dist/bundle/webapp/main.js), so that an image ships
# that file instead of node_modules. esbuild comes with the dev dependencies (through tsx and vite).
# Run from the repository root after `npm ci`.
# Usage: bundle.sh ENTRY.ts...
set -eu
# CommonJS dependencies call require() and read __dirname; an ES module has neither, so the bundle
# defines them from its own location. Native add-ons (*.node) stay outside: the two that the
# dependencies name (ssh2's crypto and cpu-features, for dockerode's unused SSH transport; msgpackr's
# optional accelerator) are loaded inside try/catch with a plain JavaScript fallback.
banner='import { createRequire as __bundleRequire } from "node:module";
import { fileURLToPath as __bundlePath } from "node:url";
const require = __bundleRequire(import.meta.url);
const __filename = __bundlePath(import.meta.url);
const __dirname = __bundlePath(new URL(".", import.meta.url));'
for entry in "$@"; do
  # --keep-names: logs report errors by their class name (err.type), which minified names would hide.
  node_modules/.bin/esbuild "$entry" --bundle --platform=node --format=esm --target=node20 \
    --minify --keep-names --legal-comments=eof --external:'*.node' --banner:js="$banner" \
    --outfile="dist/bundle/${entry%.ts}.js" --log-level=warning
done
