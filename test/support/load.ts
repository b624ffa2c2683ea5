/**
 * A steady load of submissions through RemCode's HTTP API, for the tests and benchmarks that change the
 * platform underneath it (scaling, rolling updates, killed tasks). Every request is counted, every
 * failure is kept with what it was, and every accepted submission is remembered with the output it must
 * end with, so that a test can prove afterwards that nothing was lost, changed or run twice.
 *
 * Each worker repeats: a `?wait=true` POST, a GET of what it created, and every few rounds a follower
 * of the event stream that reconnects with Last-Event-ID until it sees the result.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sseEvents } from './sse.js';

export type RequestKind = 'post' | 'get' | 'stream';

export interface LoadFailure {
  readonly kind: RequestKind;
  /** HTTP status, or the network error's message. */
  readonly what: string;
  /** When the request was sent. */
  readonly started: number;
  readonly at: number;
}

export interface LoadReport {
  readonly requests: Readonly<Record<RequestKind, number>>;
  readonly failures: readonly LoadFailure[];
  /** Submission id → the stdout its program must print. */
  readonly accepted: ReadonlyMap<string, string>;
  /** Event streams that ended with their `result`, and how many reconnects that took in all. */
  readonly streamsFinished: number;
  readonly streamReconnects: number;
  readonly wrongResults: readonly string[];
}

export interface LoadOptions {
  /** Base URL, such as http://127.0.0.1:18080. */
  readonly base: string;
  readonly workers: number;
  /** Every n-th round of a worker follows an event stream. Default 3. */
  readonly streamEvery?: number;
  /** Pause between rounds of one worker. Default 0. */
  readonly pauseMs?: number;
  /**
   * Send every POST with its own `Idempotency-Key`, as a client that may repeat it does; the edge then
   * retries a POST cut off by a dying task on another one. Default false.
   */
  readonly idempotencyKeys?: boolean;
}

interface SubmissionAnswer {
  id?: string;
  state?: string;
  stdout?: string;
}

const REQUEST_TIMEOUT_MS = 60_000;

export class SubmissionLoad {
  readonly #options: LoadOptions;
  readonly #requests: Record<RequestKind, number> = { post: 0, get: 0, stream: 0 };
  readonly #failures: LoadFailure[] = [];
  readonly #accepted = new Map<string, string>();
  readonly #wrong: string[] = [];
  #streamsFinished = 0;
  #reconnects = 0;
  #stopping = false;
  #serial = 0;
  /** Keys of one load never meet those of another load against the same database. */
  readonly #run = randomUUID();
  #workers: Promise<void>[] = [];

  constructor(options: LoadOptions) {
    this.#options = options;
  }

  start(): void {
    for (let w = 0; w < this.#options.workers; w++) this.#workers.push(this.#worker());
  }

  /** Failures so far, for a test that acts on the platform while the load runs. */
  get failures(): readonly LoadFailure[] {
    return this.#failures;
  }

  get requestCount(): number {
    return this.#requests.post + this.#requests.get + this.#requests.stream;
  }

  /** Lets every request in flight finish, then reports. */
  async stop(): Promise<LoadReport> {
    this.#stopping = true;
    await Promise.all(this.#workers);
    return {
      requests: { ...this.#requests },
      failures: [...this.#failures],
      accepted: new Map(this.#accepted),
      streamsFinished: this.#streamsFinished,
      streamReconnects: this.#reconnects,
      wrongResults: [...this.#wrong],
    };
  }

  async #worker(): Promise<void> {
    let round = 0;
    while (!this.#stopping) {
      round++;
      const stream = round % (this.#options.streamEvery ?? 3) === 0;
      const id = await this.#post(!stream);
      if (id !== undefined) {
        if (stream) await this.#follow(id);
        await this.#get(id);
      }
      if (this.#options.pauseMs) await sleep(this.#options.pauseMs);
    }
  }

  #fail(kind: RequestKind, what: string, started: number): void {
    this.#failures.push({ kind, what, started, at: Date.now() });
  }

  async #post(wait: boolean): Promise<string | undefined> {
    const n = ++this.#serial;
    const expected = `${n}\n`;
    this.#requests.post++;
    const started = Date.now();
    try {
      const response = await fetch(`${this.#options.base}/api/v1/submissions${wait ? '?wait=true' : ''}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.#options.idempotencyKeys ? { 'idempotency-key': `load-${this.#run}-${n}` } : {}),
        },
        body: JSON.stringify({ language: 'python', source: `print(${n})` }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      let body: SubmissionAnswer & { code?: string } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // The edge's own 503 page when no webapp is ready is HTML: the status says enough.
      }
      if (![200, 201, 202].includes(response.status) || body.id === undefined) {
        this.#fail('post', `HTTP ${response.status} ${body.code ?? text.slice(0, 80)}`, started);
        return undefined;
      }
      this.#accepted.set(body.id, expected);
      if (response.status === 200 && body.stdout !== expected) this.#wrong.push(body.id);
      return body.id;
    } catch (error) {
      this.#fail('post', error instanceof Error ? `${error.name}: ${error.message}` : String(error), started);
      return undefined;
    }
  }

  async #get(id: string): Promise<void> {
    this.#requests.get++;
    const started = Date.now();
    try {
      const response = await fetch(`${this.#options.base}/api/v1/submissions/${id}`, {
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      if (response.status !== 200) this.#fail('get', `HTTP ${response.status}`, started);
    } catch (error) {
      this.#fail('get', error instanceof Error ? `${error.name}: ${error.message}` : String(error), started);
    }
  }

  /** Follows the event stream to its result, reconnecting with Last-Event-ID as a client should. */
  async #follow(id: string): Promise<void> {
    this.#requests.stream++;
    const started = Date.now();
    let lastId: string | undefined;
    for (let attempt = 0; attempt < 10; attempt++) {
      if (attempt > 0) {
        this.#reconnects++;
        await sleep(200);
      }
      try {
        const response = await fetch(`${this.#options.base}/api/v1/submissions/${id}/events`, {
          headers: lastId !== undefined ? { 'last-event-id': lastId } : {},
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        if (response.status !== 200 || !response.body) {
          await response.arrayBuffer().catch(() => undefined);
          continue;
        }
        for await (const event of sseEvents(response.body)) {
          if (event.id !== undefined) lastId = event.id;
          if (event.event === 'result') {
            const result = JSON.parse(event.data ?? '{}') as SubmissionAnswer;
            if (result.stdout !== this.#accepted.get(id)) this.#wrong.push(id);
            this.#streamsFinished++;
            return;
          }
        }
      } catch {
        // A stream cut by a task that went away: reconnect, as EventSource does.
      }
    }
    this.#fail('stream', `no result for ${id} after 10 connections`, started);
  }
}

/**
 * Waits until every accepted submission has finished, then returns those whose stdout is not what
 * their program prints, and those that never finished (lost).
 */
export async function verifyAccepted(
  base: string,
  accepted: ReadonlyMap<string, string>,
  timeoutMs = 120_000,
): Promise<{ wrong: string[]; unfinished: string[] }> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Map(accepted);
  const wrong: string[] = [];
  while (pending.size > 0 && Date.now() < deadline) {
    for (const [id, expected] of [...pending]) {
      const response = await fetch(`${base}/api/v1/submissions/${id}`).catch(() => undefined);
      if (response?.status !== 200) continue;
      const body = (await response.json()) as SubmissionAnswer;
      if (body.state !== 'finished') continue;
      if (body.stdout !== expected) wrong.push(id);
      pending.delete(id);
    }
    if (pending.size > 0) await sleep(500);
  }
  return { wrong, unfinished: [...pending.keys()] };
}
