import type pg from 'pg';
import type { Logger } from '../../../common/logger.js';
import type { CallbackSender } from './callbacks.js';

export interface OutboxOptions {
  readonly pool: pg.Pool;
  /** Closed by the outbox's own close(), which must abort the tries in flight. */
  readonly sender: CallbackSender;
  readonly logger: Logger;
  /** The body to PUT for a finished submission; null when there is nothing to send any more. */
  readonly body: (id: string) => Promise<string | null>;
  /** Tries per callback. Default 3 (Judge0's `callbacks_max_tries`). */
  readonly maxTries?: number;
  /** Wait before the second try; doubled for each later one. Default 1 s. */
  readonly backoffMs?: number;
  /** How often pending callbacks are looked for without a hint. Default 1 s. */
  readonly pollMs?: number;
  /** Callbacks sent at once by one webapp. Default 16. */
  readonly batch?: number;
}

export type OutboxState = 'running' | 'closing' | 'closed';

interface Due {
  readonly id: string;
  readonly url: string;
  readonly tries: number;
  readonly state: string;
}

/**
 * Judge0 callbacks kept in Postgres until delivered, so that no webapp holds one only in memory: any
 * webapp replica sends a callback once its submission has finished, including one started after the
 * replica that accepted the submission went away. A replica takes due rows with `SKIP LOCKED` and leases
 * them for longer than a try lasts, so two replicas never send the same try.
 */
export class CallbackOutbox {
  private currentState: OutboxState = 'running';
  private readonly log: Logger;
  private readonly maxTries: number;
  private readonly backoffMs: number;
  private readonly batch: number;
  private readonly timer: NodeJS.Timeout;
  private pass: Promise<void> | null = null;
  private again = false;
  private closed: Promise<void> | null = null;

  constructor(private readonly options: OutboxOptions) {
    this.log = options.logger.child({ component: 'judge0-callbacks' });
    this.maxTries = options.maxTries ?? 3;
    this.backoffMs = options.backoffMs ?? 1_000;
    this.batch = options.batch ?? 16;
    this.timer = setInterval(() => this.kick(), options.pollMs ?? 1_000);
    this.timer.unref();
  }

  get state(): OutboxState {
    return this.currentState;
  }

  /** Records the callback of a stored submission; it is sent once the submission finishes. */
  async add(id: string, url: string): Promise<void> {
    await this.options.pool.query({
      name: 'judge0-callback-add',
      text: 'INSERT INTO judge0_callbacks (submission_id, url) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      values: [id, url],
    });
  }

  /** Looks for due callbacks now (a submission just finished) instead of at the next poll. */
  kick(): void {
    if (this.currentState !== 'running') return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.drain()
      .catch((error: unknown) => this.log.warn({ err: error }, 'callback pass failed'))
      .finally(() => {
        this.pass = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const due = await this.take();
      await Promise.all(due.map((d) => this.deliver(d)));
      if (due.length < this.batch || this.currentState !== 'running') return;
    }
  }

  /** Leases the due callbacks of finished (or cancelled) submissions. */
  private async take(): Promise<Due[]> {
    const leaseSeconds = (this.options.sender.timeoutMs + 10_000) / 1000;
    const { rows } = await this.options.pool.query<Due>({
      name: 'judge0-callback-take',
      text: `WITH due AS (
         SELECT c.submission_id, s.state FROM judge0_callbacks c JOIN submissions s ON s.id = c.submission_id
         WHERE c.not_before <= now() AND s.state IN ('finished', 'cancelled')
         ORDER BY c.not_before LIMIT $1
         FOR UPDATE OF c SKIP LOCKED)
       UPDATE judge0_callbacks c SET tries = c.tries + 1, not_before = now() + make_interval(secs => $2)
       FROM due WHERE c.submission_id = due.submission_id
       RETURNING c.submission_id AS id, c.url, c.tries, due.state`,
      values: [this.batch, leaseSeconds],
    });
    return rows;
  }

  private async deliver(due: Due): Promise<void> {
    const log = this.log.child({ token: due.id, attempt: due.tries });
    // The operator may have narrowed the allowed hosts since the callback was accepted.
    const refused = this.options.sender.check(due.url);
    if (due.state !== 'finished' || refused !== null) {
      if (refused !== null) log.warn({ reason: refused }, 'callback dropped: its URL is no longer allowed');
      await this.drop(due.id);
      return;
    }
    try {
      const body = await this.options.body(due.id);
      if (body !== null) await this.options.sender.send(due.url, body);
      await this.drop(due.id);
      log.debug('callback delivered');
    } catch (error) {
      if (due.tries >= this.maxTries || this.currentState !== 'running') {
        log.warn({ err: error }, due.tries >= this.maxTries ? 'callback abandoned' : 'callback failed');
        if (due.tries >= this.maxTries) await this.drop(due.id);
        return;
      }
      log.warn({ err: error }, 'callback failed; will try again');
      await this.options.pool.query({
        name: 'judge0-callback-retry',
        text: `UPDATE judge0_callbacks SET not_before = now() + make_interval(secs => $2)
         WHERE submission_id = $1`,
        values: [due.id, (this.backoffMs * 2 ** (due.tries - 1)) / 1000],
      });
    }
  }

  private async drop(id: string): Promise<void> {
    await this.options.pool.query({
      name: 'judge0-callback-drop',
      text: 'DELETE FROM judge0_callbacks WHERE submission_id = $1',
      values: [id],
    });
  }

  /**
   * Stops polling and abandons tries in flight; their lease runs out and another webapp (or this one,
   * restarted) tries again. Safe to call more than once.
   */
  close(): Promise<void> {
    this.closed ??= this.stop();
    return this.closed;
  }

  private async stop(): Promise<void> {
    this.currentState = 'closing';
    this.log.debug({ state: this.currentState }, 'callback outbox closing');
    clearInterval(this.timer);
    this.options.sender.close();
    await this.pass;
    this.currentState = 'closed';
    this.log.debug({ state: this.currentState }, 'callback outbox closed');
  }
}
