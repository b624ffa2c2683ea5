import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../../common/events.js';
import type { JudgeResult } from '../../executor/judge/judge.js';
import type { JudgeRun } from '../../executor/worker/job-runner.js';
import { fakeRun, startHarness } from '../../test/support/webapp-harness.js';
import type { Harness } from '../../test/support/webapp-harness.js';
import { until } from '../../test/support/until.js';

/** Prints `line <i>` for i < stdin, one chunk every 20 ms on alternating streams, then succeeds. */
const chattyJudge: JudgeRun = async (request): Promise<JudgeResult> => {
  request.onEvent?.({ type: 'running', test: 0 });
  const lines = Number(Buffer.from(request.tests[0]?.stdin ?? []).toString() || '0');
  let out = '';
  let err = '';
  for (let i = 0; i < lines; i++) {
    const stream = i % 3 === 2 ? 'stderr' : 'stdout';
    const text = `line ${i}\n`;
    if (stream === 'stdout') out += text;
    else err += text;
    request.onEvent?.({ type: 'output', test: 0, stream, chunk: Buffer.from(text) });
    await sleep(20);
  }
  return { verdict: 'accepted', compile: null, tests: [{ verdict: 'accepted', result: fakeRun(out, err) }] };
};

interface SseMessage {
  id?: string;
  event: string;
  data: unknown;
}

/** Reads a whole event stream over real HTTP. */
async function readSse(url: string, headers: Record<string, string> = {}): Promise<SseMessage[]> {
  const response = await fetch(url, { headers });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await response.text();
  const messages: SseMessage[] = [];
  for (const block of text.split('\n\n')) {
    const message: Partial<SseMessage> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) message.id = line.slice(4);
      else if (line.startsWith('event: ')) message.event = line.slice(7);
      else if (line.startsWith('data: ')) message.data = JSON.parse(line.slice(6));
    }
    if (message.event !== undefined) messages.push(message as SseMessage);
  }
  return messages;
}

let h: Harness;
let base: string;

beforeAll(async () => {
  h = await startHarness({ judge: chattyJudge });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await h.close();
});

describe('POST /api/v1/submissions?wait=true', () => {
  it('stops waiting for a ?wait=true result as soon as its client disconnects', async () => {
    const client = new AbortController();
    const request = fetch(`${base}/api/v1/submissions?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'python', source: 'x', stdin: '100' }),
      signal: client.signal,
    }).catch(() => undefined);
    for (let i = 0; i < 100 && h.ctx.hub.waiting === 0; i++) await sleep(10);
    expect(h.ctx.hub.waiting).toBe(1);
    client.abort();
    await request;
    // The run goes on for about two seconds; the waiter must not.
    for (let i = 0; i < 50 && h.ctx.hub.waiting > 0; i++) await sleep(10);
    expect(h.ctx.hub.waiting).toBe(0);
  });
});

async function create(lines: number): Promise<string> {
  const response = await fetch(`${base}/api/v1/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'python', source: 'x', stdin: String(lines) }),
  });
  return ((await response.json()) as { id: string }).id;
}

async function hasOutput(id: string): Promise<boolean> {
  return (await readEvents(h.ctx.redis, h.ctx.keys, id, '-')).some((e) => e.event.type === 'output');
}

function outputOf(messages: SseMessage[], stream: string): string {
  return messages
    .filter((m) => m.event === 'output' && (m.data as { stream: string }).stream === stream)
    .map((m) => (m.data as { data: string }).data)
    .join('');
}

describe('GET /api/v1/submissions/:id/events', () => {
  it('streams state changes and every output chunk in order, then the final result', async () => {
    const id = await create(30);
    const messages = await readSse(`${base}/api/v1/submissions/${id}/events`);
    const events = messages.map((m) => m.event);
    expect(events[0]).toBe('state');
    expect(events.at(-1)).toBe('result');
    expect(events.filter((e) => e === 'result')).toHaveLength(1);
    const expectedOut = Array.from({ length: 30 }, (_, i) => i)
      .filter((i) => i % 3 !== 2)
      .map((i) => `line ${i}\n`)
      .join('');
    const expectedErr = Array.from({ length: 30 }, (_, i) => i)
      .filter((i) => i % 3 === 2)
      .map((i) => `line ${i}\n`)
      .join('');
    expect(outputOf(messages, 'stdout')).toBe(expectedOut);
    expect(outputOf(messages, 'stderr')).toBe(expectedErr);
    const ids = messages.filter((m) => m.id !== undefined).map((m) => m.id ?? '');
    expect(new Set(ids).size).toBe(ids.length);
    expect(messages.at(-1)?.data).toMatchObject({
      id,
      state: 'finished',
      verdict: 'accepted',
      stdout: expectedOut,
    });
  });

  it('replays a finished submission and resumes after Last-Event-ID without duplicates', async () => {
    const id = await create(12);
    const full = await readSse(`${base}/api/v1/submissions/${id}/events`);
    const replay = await readSse(`${base}/api/v1/submissions/${id}/events`);
    expect(replay.slice(1)).toEqual(full.slice(1));
    const cut = full.filter((m) => m.id !== undefined)[3];
    const resumed = await readSse(`${base}/api/v1/submissions/${id}/events`, {
      'last-event-id': cut?.id ?? '',
    });
    const after = full.slice(full.indexOf(cut as SseMessage) + 1);
    expect(resumed).toEqual(after);
  });

  it('ends with the stored result when the live stream has expired', async () => {
    const id = await create(2);
    await readSse(`${base}/api/v1/submissions/${id}/events`);
    await h.ctx.redis.del(h.ctx.keys.events(id));
    const messages = await readSse(`${base}/api/v1/submissions/${id}/events`);
    expect(messages.map((m) => m.event)).toEqual(['state', 'result']);
    expect(messages[1]?.data).toMatchObject({ verdict: 'accepted', stdout: 'line 0\nline 1\n' });
  });

  it('ends with a cancelled event when the submission is deleted while followed', async () => {
    const id = await create(200);
    const reading = readSse(`${base}/api/v1/submissions/${id}/events`);
    await until(
      async () => h.ctx.hub.waiting > 0 && (await hasOutput(id)),
      5_000,
      'the stream to follow live output',
    );
    await fetch(`${base}/api/v1/submissions/${id}`, { method: 'DELETE' });
    const messages = await reading;
    expect(messages.at(-1)?.event).toBe('cancelled');
    expect(messages.some((m) => m.event === 'output')).toBe(true);
  });

  it('answers 404 for an unknown submission', async () => {
    const response = await fetch(`${base}/api/v1/submissions/00000000-0000-4000-8000-000000000000/events`);
    expect(response.status).toBe(404);
  });

  it('serves many followers of one submission the same complete stream', async () => {
    const id = await create(10);
    const all = await Promise.all(
      Array.from({ length: 20 }, () => readSse(`${base}/api/v1/submissions/${id}/events`)),
    );
    for (const messages of all) {
      expect(outputOf(messages, 'stdout') + outputOf(messages, 'stderr')).toHaveLength(
        Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join('').length,
      );
      expect(messages.at(-1)?.event).toBe('result');
    }
  });

  // Last: it closes the server.
  it('ends open streams when the server shuts down, so closing does not wait for them', async () => {
    const id = await create(500);
    const reading = readSse(`${base}/api/v1/submissions/${id}/events`);
    await until(() => h.ctx.hub.waiting > 0, 5_000, 'the stream to be followed');
    await h.app.close();
    const messages = await reading;
    expect(messages[0]?.event).toBe('state');
    expect(messages.some((m) => m.event === 'result')).toBe(false);
  });
});
