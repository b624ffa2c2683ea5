/**
 * Every dashboard panel against live data: a webapp, an executor and a controller run as real
 * processes (the controller against the local Swarm, with a stack of its own), Debian's HAProxy runs
 * the edge's own configuration in front of the webapp, Debian's Prometheus scrapes them all with a
 * configuration generated from prometheus/prometheus.yml and evaluates the real rule files, a short
 * mixed load runs, half of it through the edge (accepted, wrong answer, compile error, time limit,
 * memory limit, refused and invalid submissions) while the controller scales, gets drift and a bad
 * file, and the webapp crashes under the edge and comes back.
 * Then each query of each panel must return a series whose value moved, and every rule and panel
 * may name only metrics that the processes exported.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARDS } from '../../grafana/src/dashboards.js';
import { dashboardQueries } from '../../grafana/src/model.js';
import { metricNames } from '../../prometheus/promql.js';
import { readRules } from '../../prometheus/rules.js';
import { TEST_REDIS_URL, createTestDatabase, deleteRedisPrefix, testPrefix } from '../support/isolation.js';
import type { TestDatabase } from '../support/isolation.js';
import { startEdge } from '../support/edge.js';
import type { RunningEdge } from '../support/edge.js';
import { startExecutor, startService, startWebapp } from '../support/processes.js';
import type { ServiceProcess } from '../support/processes.js';
import { freePort } from '../support/ports.js';
import { localConfig, startPrometheus } from '../support/prometheus.js';
import type { PromSeries, RunningPrometheus } from '../support/prometheus.js';
import {
  docker,
  inspectService,
  removeLater,
  removeStack,
  tempDir,
  testImage,
  uniqueStack,
  waitFor,
  writeDesired,
} from '../support/swarm.js';
import { until } from '../support/until.js';

/** Scrape and rule evaluation interval of the test's Prometheus. */
const INTERVAL_S = 1;

let db: TestDatabase;
let prefix: string;
let prometheus: RunningPrometheus;
let webappUrl = '';
let webappEnv: Record<string, string> = {};
let webapp: ServiceProcess;
let edge: RunningEdge;
let stack = '';
let desiredFile = '';
let image = '';
let windowStart = 0;
const processes: ServiceProcess[] = [];

function desired(replicas: number): string {
  return [
    'version: 1',
    `stack: ${stack}`,
    'resync_interval: 2s',
    'services:',
    '  sleeper:',
    `    image: ${image}`,
    '    command: [sleep, infinity]',
    `    replicas: ${replicas}`,
    '    stop_grace_period: 1s',
    // Scaled on the queue depth as the test's Prometheus reads it: out during each burst, back in after.
    '  scaled:',
    `    image: ${image}`,
    '    command: [sleep, infinity]',
    '    stop_grace_period: 1s',
    '    autoscale:',
    '      min: 1',
    '      max: 3',
    '      interval: 1s',
    '      scale_down: { stabilization: 2s }',
    '      checks:',
    '        depth:',
    `          prometheus: { query: 'max(remcode_queue_depth)', url: '${prometheus.url}', target: 1 }`,
    '',
  ].join('\n');
}

interface Answer {
  readonly status: number;
  readonly body: { id?: string; verdict?: string; state?: string; code?: string };
}

/** Every other request of the load goes through the edge, so both it and the webapp see each kind. */
let sent = 0;
function base(): string {
  return sent++ % 2 === 0 ? edge.url : webappUrl;
}

async function submit(body: Record<string, unknown>, wait: boolean): Promise<Answer> {
  const response = await fetch(`${base()}/api/v1/submissions${wait ? '?wait=true' : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(45_000),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const PROGRAMS = {
  accepted: { language: 'python', source: 'print(input())', stdin: 'hi' },
  acceptedC: { language: 'c', source: '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' },
  wrongAnswer: { language: 'python', source: 'print(1)', tests: [{ stdin: '', expected_output: '2\n' }] },
  compileError: { language: 'c', source: 'int main(void) { return 0 }\n' },
  timeLimit: {
    language: 'python',
    source: 'while True:\n    pass\n',
    limits: { cpu_time: '1s', wall_time: '4s' },
  },
  memoryLimit: {
    language: 'python',
    source: 'blocks = []\nwhile True:\n    blocks.append(bytearray(8 * 1024 * 1024))\n',
    limits: { memory: '64MiB' },
  },
} as const;

const EXPECTED: Record<keyof typeof PROGRAMS, string> = {
  accepted: 'accepted',
  acceptedC: 'accepted',
  wrongAnswer: 'wrong_answer',
  compileError: 'compile_error',
  timeLimit: 'time_limit_exceeded',
  memoryLimit: 'memory_limit_exceeded',
};

/** One round of the mixed load; returns how many submissions the full queue refused. */
async function mixedRound(): Promise<number> {
  for (const [name, program] of Object.entries(PROGRAMS)) {
    const answer = await submit(program, true);
    expect(answer, name).toMatchObject({
      status: 200,
      body: { verdict: EXPECTED[name as keyof typeof PROGRAMS] },
    });
  }
  const invalid = await submit({ language: 'no-such-language', source: 'x' }, false);
  expect(invalid.status).toBe(422);
  // A long run holds the only slot while more arrive than REMCODE_QUEUE_MAX lets wait: the queue fills,
  // its oldest job ages, and the webapp refuses the overflow with 503.
  const ids: string[] = [];
  const slow = await submit({ ...PROGRAMS.timeLimit, limits: { cpu_time: '3s', wall_time: '6s' } }, false);
  expect(slow.status).toBe(201);
  ids.push(slow.body.id!);
  // A client follows the long run live through the edge, so the open-streams gauge and the edge's
  // sessions rise and fall.
  const following = fetch(`${edge.url}/api/v1/submissions/${slow.body.id}/events`, {
    signal: AbortSignal.timeout(90_000),
  }).then((r) => r.text());
  let refused = 0;
  for (let i = 0; i < 8; i++) {
    const answer = await submit(PROGRAMS.accepted, false);
    if (answer.status === 503) refused++;
    else ids.push(answer.body.id!);
    // The webapp reads the queue's depth every 250 ms; slower arrivals let it see each one.
    await sleep(400);
  }
  await until(
    async () => {
      const states = await Promise.all(
        ids.map(async (id) => {
          const r = await fetch(`${base()}/api/v1/submissions/${id}`);
          return ((await r.json()) as { state: string }).state;
        }),
      );
      return states.every((s) => s === 'finished');
    },
    90_000,
    'the burst to finish',
  );
  expect(await following).toContain('event: result');
  return refused;
}

/** Whether Prometheus has read `count` ready webapp servers behind the edge. */
async function edgeServersUp(count: number): Promise<boolean> {
  const series = await prometheus.query('haproxy_backend_active_servers{proxy="webapp"}');
  return series[0]?.value[1] === String(count);
}

/**
 * The webapp dies at once (SIGKILL, no drain) while a client reads through the edge, then a new one
 * takes its port: the edge redispatches the reads that met the closed port, answers 503 once its
 * checks took the server out, and sends work again once the new webapp is ready.
 */
async function crashWebapp(): Promise<void> {
  let reading = true;
  const statuses: number[] = [];
  const reader = (async () => {
    while (reading) {
      const response = await fetch(`${edge.url}/api/v1/languages`, {
        signal: AbortSignal.timeout(30_000),
      }).catch(() => undefined);
      if (response !== undefined) {
        statuses.push(response.status);
        await response.arrayBuffer();
      }
      await sleep(20);
    }
  })();
  await until(() => statuses.includes(200), 30_000, 'a read through the edge');
  webapp.kill('SIGKILL');
  await webapp.exited;
  await until(() => edgeServersUp(0), 30_000, 'Prometheus to see no webapp behind the edge');
  reading = false;
  await reader;
  // What a client meets while no webapp is ready: the edge's own 503, not a reset connection.
  expect(statuses).toContain(503);
  const restarted = await startWebapp({ ...webappEnv, PORT: new URL(webappUrl).port });
  processes.push(restarted.process);
  webapp = restarted.process;
  await until(() => edgeServersUp(1), 30_000, 'Prometheus to see the new webapp behind the edge');
}

/** True when the series holds at least two different numbers (NaN, from an empty rate, is not a value). */
function moved(series: PromSeries): boolean {
  const values = new Set(series.values.map(([, v]) => v).filter((v) => v !== 'NaN'));
  return values.size > 1;
}

/** What is wrong with each panel query over the test window, empty when every one shows live data. */
async function panelProblems(): Promise<string[]> {
  const end = Date.now() / 1000;
  const problems: string[] = [];
  for (const { file, def } of DASHBOARDS) {
    for (const { panel, query } of dashboardQueries(def)) {
      const series = await prometheus.queryRange(query.expr, windowStart, end, INTERVAL_S);
      const present = series.filter((s) => s.values.some(([, v]) => v !== 'NaN'));
      const ok = query.steady === undefined ? present.some(moved) : present.length > 0;
      if (!ok)
        problems.push(
          `${file} "${panel}": ${query.expr} -> ${
            present.length === 0
              ? 'no series'
              : `${present.length} series, none moved (${JSON.stringify(present[0]?.values.slice(-3))})`
          }`,
        );
    }
  }
  return problems;
}

/** Metric names an expression reads that are neither exported by a process nor recorded by a rule. */
function unknownNames(
  exprs: readonly string[],
  exported: ReadonlySet<string>,
  recorded: ReadonlySet<string>,
) {
  return exprs.flatMap((expr) =>
    metricNames(expr)
      .filter((name) => !exported.has(name) && !recorded.has(name))
      .map((name) => `${name} in ${expr}`),
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  prefix = testPrefix();
  image = await testImage();
  stack = uniqueStack();
  const dir = await tempDir();
  removeLater(dir);

  const common = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REMCODE_PREFIX: prefix,
  };
  webappEnv = {
    ...common,
    REMCODE_QUEUE_MAX: '3',
    REMCODE_WAIT_TIMEOUT: '40s',
    REMCODE_SWEEP_INTERVAL: '1s',
  };
  const started = await startWebapp({ ...webappEnv, PORT: '0' });
  processes.push(started.process);
  webapp = started.process;
  webappUrl = started.url;
  edge = await startEdge(new URL(webappUrl).host);
  const executorPort = await freePort();
  const controllerPort = await freePort();
  const config = await localConfig(
    {
      webapp: [new URL(webappUrl).host],
      executor: [`127.0.0.1:${executorPort}`],
      controller: [`127.0.0.1:${controllerPort}`],
      edge: [edge.metricsAddress],
      prometheus: [],
    },
    INTERVAL_S,
  );
  expect(config.omitted).toEqual([]);
  // Prometheus' own job keeps no target: its port is chosen when it starts.
  prometheus = await startPrometheus(config.yaml);
  desiredFile = await writeDesired(dir, desired(1));
  windowStart = Date.now() / 1000;
  // The webapp is scraped before any executor exists, so "executors online" starts from 0.
  await until(
    async () => (await prometheus.query('max(remcode_executors_online)')).length > 0,
    30_000,
    'a scrape of the webapp',
  );
  processes.push(
    await startExecutor({
      ...common,
      EXECUTOR_SLOTS: '1',
      EXECUTOR_STANDBY_SLOTS: '0',
      EXECUTOR_METRICS_PORT: String(executorPort),
      EXECUTOR_METRICS_HOST: '127.0.0.1',
    }),
  );
  const controller = startService(
    'controller',
    {
      ...common,
      LOG_LEVEL: 'warn',
      CONTROLLER_PORT: String(controllerPort),
      CONTROLLER_HOST: '127.0.0.1',
    },
    ['run', '-f', desiredFile],
  );
  processes.push(controller);
  await until(
    () =>
      fetch(`http://127.0.0.1:${controllerPort}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
    60_000,
    'the controller to answer',
  );
}, 300_000);

afterAll(async () => {
  for (const p of processes) p.kill('SIGTERM');
  await Promise.all(processes.map((p) => p.exited));
  await edge?.close();
  await prometheus?.close();
  if (stack !== '') await removeStack(stack);
  await deleteRedisPrefix(prefix);
  await db?.drop();
}, 180_000);

describe('dashboards on live data', () => {
  it('every panel query returns a series that moved during a mixed load', async () => {
    const service = `${stack}_sleeper`;
    await waitFor('the controller to create the service', () => inspectService(service), 60_000);

    let refused = await mixedRound();
    await crashWebapp();

    // The operator scales up in the file; then someone scales by hand (drift); then saves a broken file.
    await writeFile(desiredFile, desired(2));
    await waitFor('two running tasks', async () => {
      const tasks = (await docker.listTasks({
        filters: JSON.stringify({ service: [service], 'desired-state': ['running'] }),
      })) as { Status?: { State?: string } }[];
      return tasks.filter((t) => t.Status?.State === 'running').length === 2;
    });
    // Twice, so that the drift counter's series, born at 1, also moves.
    for (const replicas of [3, 4]) {
      const current = await inspectService(service);
      await docker.getService(service).update({
        _query: { version: current.Version.Index },
        _body: { ...current.Spec, Mode: { Replicated: { Replicas: replicas } } },
      });
      await waitFor('the controller to put the replicas back', async () => {
        const spec = (await inspectService(service)).Spec as { Mode: { Replicated: { Replicas: number } } };
        return spec.Mode.Replicated.Replicas === 2;
      });
      // Scraped before the next one, or both corrections would land in one sample.
      await until(
        async () =>
          (await prometheus.query('sum(remcode_controller_drift_corrections_total)'))[0]?.value[1] ===
          String(replicas - 2),
        30_000,
        `Prometheus to see drift correction ${replicas - 2}`,
      );
    }
    await writeFile(desiredFile, `${desired(2)}  unknown_field: true\n`);
    await sleep(3_000);
    await writeFile(desiredFile, desired(2));

    refused += await mixedRound();
    expect(refused).toBeGreaterThan(0);

    // Rates and quantiles need a few scrapes after the last event; wait for them, naming what is missing.
    let problems: string[] = [];
    await until(
      async () => {
        problems = await panelProblems();
        return problems.length === 0;
      },
      90_000,
      'every panel to show live data',
    ).catch(() => undefined);
    expect(problems).toEqual([]);
  }, 600_000);

  it('rules and panels name only metrics that the processes export or the rules record', async () => {
    const exported = await prometheus.metricNames();
    const rules = await readRules();
    const recorded = new Set(rules.flatMap((rule) => ('record' in rule ? [rule.record] : [])));
    // Recorded series exist only once their expression returned data: every one did under the load.
    for (const name of recorded) expect(exported, name).toContain(name);
    const panelExprs = DASHBOARDS.flatMap(({ def }) => [
      ...dashboardQueries(def).map((q) => q.query.expr),
      ...(def.annotations ?? []).map((a) => a.expr),
    ]);
    const ruleExprs = rules.map((rule) => rule.expr);
    expect(unknownNames(ruleExprs, exported, recorded)).toEqual([]);
    expect(unknownNames(panelExprs, exported, recorded)).toEqual([]);

    // Renaming a metric that a panel reads (here: dropping it from what the processes export) is caught.
    const renamed = new Set(exported);
    renamed.delete('remcode_queue_depth');
    renamed.add('remcode_queue_depth_jobs');
    expect(unknownNames(panelExprs, renamed, recorded)).toContain(
      'remcode_queue_depth in max(remcode_queue_depth)',
    );
  });

  it('the generated configuration is the repository one with local targets', async () => {
    const yaml = await readFile(new URL('../../prometheus/prometheus.yml', import.meta.url), 'utf8');
    const jobs = [...yaml.matchAll(/job_name: (\S+)/g)].map((m) => m[1]);
    const scraped = (await prometheus.query('up')).map((s) => s.metric.job);
    for (const job of ['webapp', 'executor', 'controller', 'edge']) expect(jobs).toContain(job);
    expect(new Set(scraped)).toEqual(new Set(['webapp', 'executor', 'controller', 'edge']));
    expect((await prometheus.query('min(up)'))[0]?.value[1]).toBe('1');
  });
});
