import { classifyOutage } from '../common/outage.js';
import type { Dependency } from '../common/outage.js';
import type { ApiContext } from './context.js';

/** A readiness probe answers within this, so the edge's one-second checks do not pile up. */
const PROBE_TIMEOUT_MS = 1_000;

/** What `/readyz` answers. */
export interface ReadinessReport {
  /** False takes this replica out of the edge's rotation. */
  readonly ready: boolean;
  readonly status: string;
  /** Each check by name: `ok`, or the class of its failure. */
  readonly checks: Record<string, string>;
}

/**
 * Whether the edge should send this replica requests: not while it drains, nor while Postgres has been
 * away longer than the outage budget. Remembers when each dependency's current outage began, as its
 * probes saw it.
 */
export class Readiness {
  private readonly outageSince: Partial<Record<Dependency, number>> = {};

  constructor(
    private readonly ctx: Pick<ApiContext, 'config' | 'enqueuer' | 'lifecycle' | 'pool' | 'redis' | 'schema'>,
  ) {}

  async check(): Promise<ReadinessReport> {
    const { ctx } = this;
    // A draining process answers at once: the edge must stop choosing it within one check interval.
    if (ctx.lifecycle.state !== 'serving')
      return { ready: false, status: ctx.lifecycle.state, checks: { process: ctx.lifecycle.state } };
    // Serving against an older schema would fail requests, or worse, write rows the code misreads.
    if (ctx.schema.state !== 'current')
      return { ready: false, status: 'waiting_for_schema', checks: { schema: ctx.schema.reason } };
    const [postgres, redis] = await Promise.all([
      this.probe('postgres', () => ctx.pool.query('SELECT 1')),
      this.probe('redis', () => ctx.redis.ping()),
    ]);
    const checks: Record<string, string> = { postgres, redis };
    if (ctx.enqueuer.deferred > 0) checks.deferred_submissions = String(ctx.enqueuer.deferred);
    // An outage of a dependency every replica shares is not a reason to leave the edge's rotation
    // while requests can still wait it out (and a Redis outage does not stop intake at all): with
    // every replica out, the edge would refuse what the webapp could have taken. Only a Postgres
    // outage longer than the budget, when every request would fail anyway, is not ready.
    const postgresOut = this.outageSince.postgres;
    const down = postgresOut !== undefined && Date.now() - postgresOut >= ctx.config.outageBudgetMs;
    const ok = postgres === 'ok' && redis === 'ok';
    return { ready: !down, status: down ? 'unavailable' : ok ? 'ok' : 'degraded', checks };
  }

  /** 'ok', or the class of the failure; never slower than the probe timeout. */
  private async probe(dependency: Dependency, check: () => Promise<unknown>): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('Command timed out')), PROBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([check(), timeout]);
      delete this.outageSince[dependency];
      return 'ok';
    } catch (error) {
      this.outageSince[dependency] ??= Date.now();
      return classifyOutage(error) ?? 'failing';
    } finally {
      clearTimeout(timer);
    }
  }
}
