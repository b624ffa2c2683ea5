/**
 * Start-up code for warm interpreters (see native/zygote.c and docs/sandbox.md, "Warm starts"). Each
 * file in ./warm/ is the `-c` code of one interpreter; the catalogue names it in a language's `warm`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WarmInterpreter } from './types.js';

export const WARM_STARTS: readonly string[] = ['python'];

function startupFile(name: string): string {
  // Both the TypeScript sources and the compiled dist/ tree sit two levels below the package root.
  const candidates = [
    new URL(`./warm/${name}.py`, import.meta.url),
    new URL(`../../../executor/sandbox/warm/${name}.py`, import.meta.url),
  ].map((url) => fileURLToPath(url));
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

/**
 * The warm interpreter for a language whose catalogue entry names start-up code: the run command's
 * interpreter (`python3`), started with that code and exactly the environment its runs get.
 */
export function warmInterpreter(
  name: string,
  interpreter: string,
  env: Readonly<Record<string, string>>,
): WarmInterpreter {
  if (!WARM_STARTS.includes(name)) throw new Error(`unknown warm start "${name}"`);
  return { argv: [interpreter, '-c', readFileSync(startupFile(name), 'utf8')], env };
}
