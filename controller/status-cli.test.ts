import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMPTY_MEMORY, decide } from './autoscale/decide.js';
import { parsePolicy } from './autoscale/policy.js';
import { StatusUnavailableError, fetchStatus, formatStatus } from './status-cli.js';

const policy = parsePolicy({
  min: 1,
  max: 4,
  dry_run: true,
  checks: { backlog: { queue: { per_replica: 2 } } },
});
const { evaluation } = decide({
  policy,
  current: 1,
  memory: EMPTY_MEMORY,
  now: Date.UTC(2026, 0, 1, 12, 0, 0),
  readings: new Map([
    [
      'backlog',
      {
        status: 'ok',
        value: 6,
        queue: {
          waiting: 6,
          prioritized: 0,
          active: 0,
          dueDelayed: 0,
          oldestWaitingMs: 0,
          slotsPerReplica: 2,
        },
      },
    ],
  ]),
});
const status = {
  controller: {
    state: 'running' as const,
    file: 'remcode.yaml',
    generation: 3,
    lastPassAt: '2026-01-01T12:00:00.000Z',
    lastPassResult: { result: 'ok' as const, applied: 0, failed: 0, deferred: 0, error: undefined },
    fileErrors: [],
    conditions: [
      {
        type: 'Ready' as const,
        status: 'True' as const,
        reason: 'Succeeded' as const,
        message: 'applied 0, failed 0, deferred 0',
        observedGeneration: 3,
        lastTransitionTime: '2026-01-01T11:59:00.000Z',
      },
    ],
  },
  services: [
    {
      name: 'executor',
      desiredReplicas: 1,
      runningReplicas: 0,
      conditions: [
        {
          type: 'Ready' as const,
          status: 'False' as const,
          reason: 'Blocked' as const,
          message: 'update paused',
          observedGeneration: 3,
          lastTransitionTime: '2026-01-01T11:59:00.000Z',
        },
        {
          type: 'Stalled' as const,
          status: 'True' as const,
          reason: 'Blocked' as const,
          message: 'update paused',
          observedGeneration: 3,
          lastTransitionTime: '2026-01-01T11:59:00.000Z',
        },
      ],
    },
  ],
  autoscale: [
    {
      service: 'executor',
      policy,
      scaleIn: { service: 'executor', from: 3, executors: ['a', 'b'], at: 0, lowered: 1 },
      lastError: undefined,
      evaluations: [evaluation],
    },
  ],
};

describe('controller status', () => {
  it('prints each autoscaled service with its checks, scale-in and last decisions', () => {
    const text = formatStatus(status);
    expect(text).toContain('autoscale executor: min 1, max 4, every 2000ms (dry-run)');
    expect(text).toContain('scale-in from 3: retiring 1 of 2 executor(s)');
    expect(text).toContain('check backlog (queue): ok, value 6, recommends 3: 6 jobs at 2 per replica');
    expect(text).toContain('12:00:00 1 -> 3 dry_run: dry run: scale out to 3');
  });

  it('prints the condition that says most, with its reason, message and generation', () => {
    const text = formatStatus(status);
    expect(text).toContain('  Ready=True Succeeded: applied 0, failed 0, deferred 0 (generation 3)');
    expect(text).toMatch(/executor +0\/1 +Stalled=True Blocked: update paused \(generation 3\)/);
  });

  it('reads the status from a running controller, and says so when none answers', async () => {
    const server = createServer((_request, response) => response.end(JSON.stringify(status)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect((await fetchStatus({ url: `http://127.0.0.1:${port}/status` })).controller.generation).toBe(3);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await expect(fetchStatus({ url: `http://127.0.0.1:${port}/status` })).rejects.toBeInstanceOf(
      StatusUnavailableError,
    );
  });

  it('reads the status over a Unix socket, and explains an answer that is not a status', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'status-'));
    const socketPath = join(dir, 'controller.sock');
    let body = JSON.stringify(status);
    const server = createServer((request, response) => {
      if (request.url !== '/status') return response.writeHead(404).end();
      return response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      expect((await fetchStatus({ socketPath })).controller.generation).toBe(3);
      body = '<html>';
      await expect(fetchStatus({ socketPath })).rejects.toThrow(/not JSON/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
    await expect(fetchStatus({ socketPath })).rejects.toThrow(/no controller answers at the socket/);
  });
});
