/**
 * The browser's view of the RemCode HTTP API (`/api/v1`). Responses are read defensively: the page must
 * keep working when the server adds fields, and must turn every failure into a sentence a person can act on.
 */
import type { RunView, SubmissionView } from '../../../common/submission-schema.js';
import { decodeBase64, encodeBase64, showBytes, showText, type ShownOutput } from './text.js';

type Json = Record<string, unknown>;

/**
 * A response as the page reads it: the field names are the API's own (its schema in `common/`), the
 * values are checked one by one, since a page loaded before a server upgrade may meet a newer server.
 */
type Wire<T> = { readonly [K in keyof T]?: unknown };

export interface Language {
  readonly id: string;
  readonly name: string;
  readonly version: string | null;
  readonly available: boolean;
  readonly editorMode: string | null;
  readonly starter: string | null;
  /** The input the starter reads, put in the stdin box with it. */
  readonly starterStdin: string | null;
  /** Only a pool scaled to zero has it: the first run waits while an executor starts. */
  readonly cold: boolean;
}

/** A run as the page shows it: the API's `RunView` with its output decoded for display. */
export interface RunResult {
  readonly verdict: string | null;
  readonly stdout: ShownOutput;
  readonly stderr: ShownOutput;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly cpuTimeMs: number | null;
  readonly wallTimeMs: number | null;
  readonly memoryBytes: number | null;
  /** Which clock ran out, when the verdict is a time limit. */
  readonly timeLimit: string | null;
}

/** A submission as the page shows it: the API's `SubmissionView` with its output decoded for display. */
export interface Submission {
  readonly id: string;
  readonly state: string;
  readonly verdict: string | null;
  readonly language: string;
  readonly version: string | null;
  /** How the API sends this submission's text fields, chosen by whoever created it. */
  readonly encoding: SubmissionView['encoding'];
  readonly compileOutput: ShownOutput | null;
  readonly compileOutputTruncated: boolean;
  readonly tests: readonly RunResult[];
  readonly createdAt: string | null;
  readonly finishedAt: string | null;
  readonly executor: string | null;
  /** A message from the service when the run failed on its side (internal error). */
  readonly message: string | null;
}

export interface NewSubmission {
  readonly language: string;
  readonly version?: string;
  readonly source: string;
  readonly stdin: string;
  readonly args: readonly string[];
  readonly limits?: Readonly<Record<string, string>>;
}

export interface ServiceStatus {
  readonly queueDepth: number | null;
  readonly running: number | null;
  readonly executorsOnline: number | null;
  readonly oldestJobAgeSeconds: number | null;
  readonly slots: number | null;
  readonly busySlots: number | null;
}

/** An API failure, already described for a person. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function pick(obj: Json, ...names: string[]): unknown {
  for (const name of names) if (obj[name] !== undefined && obj[name] !== null) return obj[name];
  return undefined;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function output(value: unknown, base64: boolean): ShownOutput {
  const text = typeof value === 'string' ? value : '';
  if (base64) {
    try {
      return showBytes(decodeBase64(text));
    } catch {
      return showText(text);
    }
  }
  return showText(text);
}

function joinedBytes(parts: readonly string[]): ShownOutput {
  try {
    const chunks = parts.map(decodeBase64);
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    return showBytes(all);
  } catch {
    return showText(parts.join(''));
  }
}

function decodeInput(value: unknown, base64: boolean): string {
  const text = typeof value === 'string' ? value : '';
  if (!base64) return text;
  try {
    return new TextDecoder().decode(decodeBase64(text));
  } catch {
    return text;
  }
}

function parseRun(raw: Wire<RunView>, base64: boolean): RunResult {
  return {
    verdict: str(raw.verdict),
    stdout: output(raw.stdout, base64),
    stderr: output(raw.stderr, base64),
    stdoutTruncated: Boolean(raw.stdout_truncated),
    stderrTruncated: Boolean(raw.stderr_truncated),
    exitCode: num(raw.exit_code),
    signal: str(raw.signal),
    cpuTimeMs: num(raw.cpu_time_ms),
    wallTimeMs: num(raw.wall_time_ms),
    memoryBytes: num(raw.memory_bytes),
    timeLimit: str(raw.time_limit),
  };
}

export function parseSubmission(value: unknown): Submission {
  const raw: Wire<SubmissionView> = obj(value);
  const base64 = raw.encoding === 'base64';
  const compile: Wire<RunView> = obj(raw.compile);
  const compileParts = [compile.stdout, compile.stderr].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  );
  // base64 parts cannot be joined as text; their bytes are joined instead.
  const compileOutput =
    compileParts.length === 0 ? null : base64 ? joinedBytes(compileParts) : showText(compileParts.join(''));
  let tests = Array.isArray(raw.tests) ? raw.tests.map((t) => parseRun(obj(t), base64)) : [];
  // A single run without a result (cancelled before it ran, say) has its fields at the top level only.
  if (tests.length === 0 && (raw.stdout !== undefined || raw.exit_code !== undefined))
    tests = [parseRun(raw, base64)];
  return {
    id: str(raw.id) ?? '',
    state: str(raw.state) ?? 'queued',
    verdict: str(raw.verdict),
    language: str(raw.language) ?? '',
    version: str(raw.version),
    encoding: base64 ? 'base64' : 'utf8',
    compileOutput,
    compileOutputTruncated: compile.stdout_truncated === true || compile.stderr_truncated === true,
    tests,
    createdAt: str(raw.created_at),
    finishedAt: str(raw.finished_at),
    executor: str(raw.executor),
    message: str(raw.error),
  };
}

export function parseLanguages(value: unknown): Language[] {
  const list = Array.isArray(value) ? value : obj(value)['languages'];
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const raw = obj(item);
    const id = str(raw['id']) ?? '';
    return {
      id,
      name: str(raw['name']) ?? id,
      version: str(pick(raw, 'version', 'installed_version', 'installedVersion')),
      available: raw['available'] !== false,
      editorMode: str(pick(raw, 'editor_mode', 'editorMode')),
      starter: str(raw['starter']),
      starterStdin: str(pick(raw, 'starter_stdin', 'starterStdin')),
      cold: raw['cold'] === true,
    };
  });
}

function retryAfter(response: Response): number | null {
  const header = response.headers.get('retry-after');
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function sentence(text: string): string {
  const t = text.trim();
  if (t === '') return t;
  // Not capitalised: a detail often starts with a field name such as cpu_time.
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** Builds the sentence shown for a failed request: what happened, then what to do next. */
export function describeFailure(status: number, code: string, detail: string, wait: number | null): string {
  const what = sentence(detail);
  // The server's own words may already say when to retry; then the page adds nothing.
  const retry = /try again/i.test(what)
    ? ''
    : wait !== null
      ? ` Try again in ${wait} second${wait === 1 ? '' : 's'}.`
      : ' Try again in a moment.';
  if (status === 429 || code.includes('rate')) {
    return `${what || 'You have sent too many runs in a short time.'}${retry}`;
  }
  if (status === 503 || code.includes('queue')) {
    return `${what || 'The service is busy and is not accepting new runs right now.'}${retry}`;
  }
  if (status === 413) return `${what || 'The code or input is too large.'} Make it smaller and run it again.`;
  if (status === 404) {
    return `${what || 'This was not found.'} It may have been deleted; start a new run instead.`;
  }
  if (status === 401 || status === 403) {
    return `${what || 'This service needs an API key.'} Ask its operator for access.`;
  }
  if (status >= 400 && status < 500) {
    return `${what || 'The service did not accept this run.'} Correct it and press Run again.`;
  }
  return 'The service had a problem on its side. Try again in a moment; if it keeps happening, tell its operator.';
}

async function request(path: string, init?: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { accept: 'application/json', ...init?.headers } });
  } catch (cause) {
    throw new ApiError(
      0,
      'network',
      'The RemCode service could not be reached. Check your connection and try again.',
      null,
      {
        cause,
      },
    );
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok) {
    const problem = obj(body);
    const code = str(problem['code']) ?? `http_${response.status}`;
    const title = str(pick(problem, 'title', 'message')) ?? '';
    const more = str(problem['detail']) ?? '';
    const detail = [title, more]
      .filter((x) => x !== '')
      .map(sentence)
      .join(' ');
    const wait = retryAfter(response);
    throw new ApiError(response.status, code, describeFailure(response.status, code, detail, wait), wait);
  }
  return body;
}

export async function listLanguages(): Promise<Language[]> {
  return parseLanguages(await request('/api/v1/languages'));
}

export async function createSubmission(input: NewSubmission): Promise<string> {
  // Sent and received as base64 so that output bytes arrive exactly as the program wrote them, and
  // output that is not text can be shown in hexadecimal instead of as replacement characters.
  const body: Json = {
    language: input.language,
    encoding: 'base64',
    source: encodeBase64(new TextEncoder().encode(input.source)),
    stdin: encodeBase64(new TextEncoder().encode(input.stdin)),
    args: input.args,
  };
  if (input.version) body['version'] = input.version;
  if (input.limits && Object.keys(input.limits).length > 0) body['limits'] = input.limits;
  // One key for every try of this Run: a try whose answer was lost (a restarted server) may have stored
  // the run, and the key makes the next try answer with it instead of running the program twice.
  const init = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey() },
    body: JSON.stringify(body),
  };
  const created = obj(await withRetries(() => request('/api/v1/submissions', init)));
  const id = str(created['id']);
  if (!id)
    throw new ApiError(
      502,
      'bad_response',
      'The service answered without a submission id. Try again in a moment.',
    );
  return id;
}

/** 128 random bits as hex; `crypto.randomUUID` exists only on HTTPS pages and localhost. */
function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** How long a Run keeps trying while the service is unreachable (a webapp restarting, say). */
const UNREACHABLE_PATIENCE_MS = 30_000;

/**
 * Repeats `attempt` while the service cannot be reached, or a proxy in front answers 502, 503 or 504
 * without a RemCode problem (no webapp behind it right now), with backoff, for a bounded time. A
 * failure RemCode itself describes (a full queue, an outage that outlasted its own wait) is final: the
 * person reads what it says.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  patienceMs = UNREACHABLE_PATIENCE_MS,
): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await attempt();
    } catch (error) {
      const passing =
        error instanceof ApiError &&
        (error.status === 0 || ([502, 503, 504].includes(error.status) && error.code.startsWith('http_')));
      if (!passing || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export async function getSubmission(id: string): Promise<Submission> {
  return parseSubmission(await request(`/api/v1/submissions/${encodeURIComponent(id)}`));
}

export async function getStatus(): Promise<ServiceStatus> {
  const raw = obj(await request('/api/v1/status'));
  const queue = obj(raw['queue']);
  const executors = raw['executors'];
  return {
    queueDepth: num(pick(raw, 'queue_depth', 'queueDepth') ?? pick(queue, 'depth', 'waiting')),
    running: num(pick(raw, 'running', 'running_jobs', 'runningJobs') ?? pick(queue, 'active', 'running')),
    executorsOnline: num(
      pick(raw, 'executors_online', 'executorsOnline') ??
        (Array.isArray(executors) ? executors.length : pick(obj(executors), 'online')),
    ),
    oldestJobAgeSeconds: num(pick(raw, 'oldest_job_age_seconds') ?? pick(queue, 'oldest_age_seconds')),
    slots: num(pick(raw, 'executor_slots', 'slots')),
    busySlots: num(pick(raw, 'busy_slots', 'busySlots')),
  };
}

export interface SubmittedSource {
  readonly language: string;
  readonly source: string;
  readonly stdin: string;
  readonly args: readonly string[];
}

export async function getSource(id: string): Promise<SubmittedSource> {
  const raw = obj(await request(`/api/v1/submissions/${encodeURIComponent(id)}/source`));
  const base64 = raw['encoding'] === 'base64';
  const files = Array.isArray(raw['files']) ? raw['files'].map(obj) : [];
  return {
    language: str(raw['language']) ?? '',
    source: decodeInput(raw['source'] ?? files[0]?.['content'], base64),
    stdin: decodeInput(raw['stdin'], base64),
    args: Array.isArray(raw['args']) ? raw['args'].filter((a): a is string => typeof a === 'string') : [],
  };
}
