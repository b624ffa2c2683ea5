import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { readEvents } from '../../common/events.js';
import { redisKeys } from '../../common/keys.js';
import { createLogger } from '../../common/logger.js';
import { TEST_REDIS_URL, deleteRedisPrefix, testPrefix } from '../../test/support/isolation.js';
import { EventPublisher, LIVE_OUTPUT_BYTES } from './event-publisher.js';

const prefix = testPrefix();
const keys = redisKeys(prefix);
const redis = new Redis(TEST_REDIS_URL);
const logger = createLogger('test', 'silent');

afterAll(async () => {
  redis.disconnect();
  await deleteRedisPrefix(prefix);
});

async function outputs(id: string): Promise<{ test: number; stream: string; bytes: Buffer }[]> {
  const events = await readEvents(redis, keys, id, '-', 100_000);
  return events.flatMap(({ event }) =>
    event.type === 'output'
      ? [{ test: event.test, stream: event.stream, bytes: Buffer.from(event.data, 'base64') }]
      : [],
  );
}

describe('EventPublisher', () => {
  it('merges small chunks of one stream into few entries and keeps their order across streams', async () => {
    const publisher = new EventPublisher(redis, keys, 'merge', logger);
    for (let i = 0; i < 100; i++) publisher.output(0, 'stdout', Buffer.from(`${i},`));
    publisher.output(0, 'stderr', Buffer.from('E'));
    publisher.output(0, 'stdout', Buffer.from('tail'));
    publisher.event({ type: 'result', verdict: 'accepted' });
    await publisher.flush();
    const out = await outputs('merge');
    expect(out.map((o) => o.stream)).toEqual(['stdout', 'stderr', 'stdout']);
    expect(out[0]?.bytes.toString()).toBe(Array.from({ length: 100 }, (_, i) => `${i},`).join(''));
    const all = await readEvents(redis, keys, 'merge', '-');
    expect(all.at(-1)?.event).toEqual({ type: 'result', verdict: 'accepted' });
  });

  it('stops streaming output after the live budget, exactly at the budget', async () => {
    const publisher = new EventPublisher(redis, keys, 'flood', logger);
    const chunk = Buffer.alloc(100_000, 0x41);
    for (let i = 0; i < 30; i++) publisher.output(0, 'stdout', chunk);
    await publisher.flush();
    const total = (await outputs('flood')).reduce((n, o) => n + o.bytes.length, 0);
    expect(total).toBe(LIVE_OUTPUT_BYTES);
  });

  it('holds events behind its gate, then publishes them in order with one notice each', async () => {
    const subscriber = new Redis(TEST_REDIS_URL);
    const notices: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => notices.push(message));
    await subscriber.subscribe(keys.eventsChannel);
    let open = (_ours: boolean): void => undefined;
    const gate = new Promise<boolean>((resolve) => (open = resolve));
    const publisher = new EventPublisher(redis, keys, 'gated', logger, gate);
    publisher.event({ type: 'state', state: 'running' });
    publisher.output(0, 'stdout', Buffer.from('hi'));
    publisher.event({ type: 'result', verdict: 'accepted' }, '{"x":1}');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await readEvents(redis, keys, 'gated', '-')).toEqual([]);
    open(true);
    await publisher.flush();
    const events = (await readEvents(redis, keys, 'gated', '-')).map((e) => e.event.type);
    expect(events).toEqual(['state', 'output', 'result']);
    for (let i = 0; i < 50 && notices.length < 3; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(notices).toEqual(['gated state', 'gated output', 'gated result {"x":1}']);
    subscriber.disconnect();
  });

  it('publishes nothing, then or later, when its gate says the run is not ours', async () => {
    const publisher = new EventPublisher(redis, keys, 'dropped', logger, Promise.resolve(false));
    publisher.event({ type: 'state', state: 'running' });
    await publisher.flush();
    publisher.event({ type: 'result', verdict: 'accepted' });
    await publisher.flush();
    expect(await readEvents(redis, keys, 'dropped', '-')).toEqual([]);
  });
});
