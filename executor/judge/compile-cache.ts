/**
 * A bounded, in-memory LRU of compiled workspaces. Submissions are often resubmitted unchanged (a judge
 * re-running the same solution, a class running the same example), and compiling is the slowest step of
 * most runs, so identical compilations are served from here: the snapshot of the compiled workspace is
 * written into the next job's fresh workspace instead of compiling again.
 */
import { createHash } from 'node:crypto';
import type { RunResult, WorkspaceFile } from '../sandbox/types.js';
import type { InstalledLanguage } from '../languages/types.js';

export interface CompileCacheOptions {
  /** Total bytes of cached files and compiler output kept; least recently used entries go first. */
  readonly maxBytes: number;
}

export interface CompiledWorkspace {
  /** Every file of the workspace after a successful compile (sources and outputs). */
  readonly files: readonly WorkspaceFile[];
  /** The compile run that produced them, reported again on a hit. */
  readonly compile: RunResult;
}

export interface CompileCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  readonly bytes: number;
}

export interface CompileKeyInput {
  readonly language: Pick<InstalledLanguage, 'id' | 'installedVersion' | 'compile' | 'env'>;
  readonly files: readonly WorkspaceFile[];
  readonly compilerArgs: readonly string[];
}

function sizeOf(entry: CompiledWorkspace): number {
  let bytes = entry.compile.stdout.length + entry.compile.stderr.length;
  for (const file of entry.files) bytes += file.content.length + file.path.length;
  return bytes;
}

export class CompileCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, { value: CompiledWorkspace; bytes: number }>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(options: CompileCacheOptions) {
    if (!(options.maxBytes >= 0)) throw new RangeError('maxBytes must be a non-negative number');
    this.#maxBytes = options.maxBytes;
  }

  /**
   * The cache key: sha256 over everything that decides what the compiler produces. Every field is length
   * prefixed so that no two different inputs can serialise to the same bytes.
   */
  static key(input: CompileKeyInput): string {
    const hash = createHash('sha256');
    const part = (data: string | Uint8Array) => {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const length = Buffer.alloc(8);
      length.writeBigUInt64BE(BigInt(bytes.length));
      hash.update(length);
      hash.update(bytes);
    };
    part(input.language.id);
    part(input.language.installedVersion ?? '');
    part(JSON.stringify(input.language.compile));
    part(JSON.stringify(Object.entries(input.language.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
    part(String(input.files.length));
    for (const file of input.files) {
      part(file.path);
      part(String((file.mode ?? 0o644) & 0o777));
      part(file.content);
    }
    part(String(input.compilerArgs.length));
    for (const arg of input.compilerArgs) part(arg);
    return hash.digest('hex');
  }

  get(key: string): CompiledWorkspace | undefined {
    const entry = this.#entries.get(key);
    if (!entry) {
      this.#misses += 1;
      return undefined;
    }
    // Re-inserting moves the entry to the most recently used end of the Map's order.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#hits += 1;
    return entry.value;
  }

  /** Stores a compiled workspace; one larger than the whole cache is not kept. */
  set(key: string, value: CompiledWorkspace): void {
    const bytes = sizeOf(value);
    const existing = this.#entries.get(key);
    if (existing) {
      this.#entries.delete(key);
      this.#bytes -= existing.bytes;
    }
    if (bytes > this.#maxBytes) return;
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [oldKey, old] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldKey);
      this.#bytes -= old.bytes;
    }
  }

  stats(): CompileCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size, bytes: this.#bytes };
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
