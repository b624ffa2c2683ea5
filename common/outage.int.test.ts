import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDisposablePostgres, startDisposableRedis } from '../test/support/disposable-servers.js';
import type { DisposableServer } from '../test/support/disposable-servers.js';
import { DependencyUnavailableError, asUnavailable, classifyOutage, rideThrough } from './outage.js';

/** The error an operation rejects with; fails the test when it succeeds. */
async function failure(operation: () => Promise<unknown>): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  throw new Error('the operation succeeded');
}

function pgClient(url: string, connectionTimeoutMillis = 5_000): pg.Client {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis });
  client.on('error', () => undefined);
  return client;
}

/** One attempt, no reconnecting: the raw error of the server's state. */
function rawRedis(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    commandTimeout: 1_000,
  });
  redis.on('error', () => undefined);
  return redis;
}

describe('outage classes, from real servers', () => {
  let postgres: DisposableServer;
  let redis: DisposableServer;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([
      startDisposablePostgres(['max_connections=3', 'superuser_reserved_connections=0']),
      startDisposableRedis(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([postgres.close(), redis.close()]);
  });

  it('a stopped Postgres is refused, a connection it was holding is shutting down', async () => {
    const held = pgClient(postgres.url);
    await held.connect();
    await postgres.stop();
    try {
      expect(classifyOutage(await failure(() => held.query('SELECT 1')))).toMatch(/^(shutting_down|reset)$/);
      const fresh = pgClient(postgres.url);
      expect(classifyOutage(await failure(() => fresh.connect()))).toBe('refused');
    } finally {
      await postgres.start();
    }
  });

  it('a killed Postgres resets the connections it held', async () => {
    const held = pgClient(postgres.url);
    await held.connect();
    await postgres.kill();
    try {
      expect(classifyOutage(await failure(() => held.query('SELECT 1')))).toBe('reset');
    } finally {
      await postgres.start();
    }
  });

  it('a full Postgres is too many clients; a stalled one is a timeout', async () => {
    const holders = [pgClient(postgres.url), pgClient(postgres.url), pgClient(postgres.url)];
    await Promise.all(holders.map((c) => c.connect()));
    try {
      const extra = pgClient(postgres.url);
      expect(classifyOutage(await failure(() => extra.connect()))).toBe('too_many_clients');
    } finally {
      await Promise.all(holders.map((c) => c.end()));
    }
    postgres.pause();
    try {
      const stalled = pgClient(postgres.url, 500);
      expect(classifyOutage(await failure(() => stalled.connect()))).toBe('timeout');
    } finally {
      postgres.resume();
    }
  });

  it('a read-only Postgres, an unknown host, and a plain SQL error', async () => {
    const client = pgClient(postgres.url);
    await client.connect();
    try {
      await client.query('SET default_transaction_read_only = on');
      expect(classifyOutage(await failure(() => client.query('CREATE TABLE t (x int)')))).toBe('read_only');
      // A bug in a statement is not an outage: it must stay a 500, never be retried.
      expect(classifyOutage(await failure(() => client.query('SELECT * FROM no_such_table')))).toBe(
        undefined,
      );
    } finally {
      await client.end();
    }
    const lost = pgClient('postgres://postgres@remcode-no-such-host.invalid:5432/postgres');
    expect(classifyOutage(await failure(() => lost.connect()))).toBe('dns');
  });

  it('Redis: refused, reset, timeout, too many clients, read-only, unknown host', async () => {
    await redis.stop();
    // ioredis rejects the connect with "Connection is closed"; the cause comes as an error event.
    const refused = rawRedis(redis.url);
    const cause = new Promise<unknown>((resolve) => refused.once('error', resolve));
    await failure(() => refused.connect());
    expect(classifyOutage(await cause)).toBe('refused');
    await redis.start();

    const held = rawRedis(redis.url);
    await held.connect();
    await redis.kill();
    expect(classifyOutage(await failure(() => held.get('k')))).toMatch(/^(reset|refused)$/);
    await redis.start();

    const stalled = rawRedis(redis.url);
    await stalled.connect();
    redis.pause();
    try {
      expect(classifyOutage(await failure(() => stalled.get('k')))).toBe('timeout');
    } finally {
      redis.resume();
      stalled.disconnect();
    }

    const admin = rawRedis(redis.url);
    await admin.connect();
    try {
      const connected = Number(/connected_clients:(\d+)/.exec(await admin.info('clients'))?.[1]);
      await admin.config('SET', 'maxclients', String(connected));
      // Redis accepts the connection, writes its refusal and closes; ioredis reports only "Connection is
      // closed" (a reset), so the refusal is read off the socket to check the pattern that names it.
      const refusal = await new Promise<string>((resolve, reject) => {
        const socket = connect(redis.port, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text.trim().replace(/^-/, '')));
        socket.on('error', reject);
        socket.write('PING\r\n');
      });
      expect(classifyOutage(new Error(refusal))).toBe('too_many_clients');
      await admin.config('SET', 'maxclients', '10000');

      // A replica of a master that is not there: it answers reads and refuses writes.
      await admin.replicaof('127.0.0.1', String(redis.port + 1));
      expect(classifyOutage(await failure(() => admin.set('k', 'v')))).toBe('read_only');
      await admin.replicaof('NO', 'ONE');
      // A wrong command is a bug, not an outage.
      expect(classifyOutage(await failure(() => admin.call('NO-SUCH-COMMAND')))).toBe(undefined);
    } finally {
      admin.disconnect();
    }
    const lost = rawRedis('redis://remcode-no-such-host.invalid:6379');
    const lookup = new Promise<unknown>((resolve) => lost.once('error', resolve));
    await failure(() => lost.connect());
    expect(classifyOutage(await lookup)).toBe('dns');
  });

  it('rideThrough waits out an outage shorter than the budget', async () => {
    const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
    pool.on('error', () => undefined);
    try {
      await postgres.stop();
      let waits = 0;
      const restarted = sleep(300).then(() => postgres.start());
      const { rows } = await rideThrough('postgres', () => pool.query<{ x: number }>('SELECT 1 AS x'), {
        budgetMs: 15_000,
        onRetry: () => waits++,
      });
      await restarted;
      expect(rows[0]?.x).toBe(1);
      expect(waits).toBeGreaterThan(0);
    } finally {
      await pool.end();
    }
  });
});

describe('rideThrough', () => {
  it('reports the outage with its class once the budget is spent, and passes other errors at once', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    let attempts = 0;
    const error = await failure(() =>
      rideThrough(
        'redis',
        () => {
          attempts++;
          return Promise.reject(refused);
        },
        { budgetMs: 200 },
      ),
    );
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).code).toBe('redis_refused');
    expect(attempts).toBeGreaterThan(1);
    const bug = new TypeError('x is undefined');
    attempts = 0;
    expect(
      await failure(() =>
        rideThrough(
          'postgres',
          () => {
            attempts++;
            return Promise.reject(bug);
          },
          { budgetMs: 1_000 },
        ),
      ),
    ).toBe(bug);
    expect(attempts).toBe(1);
    expect(asUnavailable(bug)).toBe(undefined);
  });
});
