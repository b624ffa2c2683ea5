/**
 * A real Prometheus (Debian's binary) for tests: its configuration is generated from the repository's
 * own prometheus/prometheus.yml (the same jobs, metrics paths and rule files), with each job's swarm
 * discovery replaced by the local processes the test started, labelled as the swarm relabelling would.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { PROMETHEUS_DIR, readConfig } from '../../prometheus/rules.js';
import { freePort } from './ports.js';
import { startTool } from './tool-process.js';
import { until } from './until.js';

export interface LocalConfig {
  readonly yaml: string;
  /** Jobs of the swarm configuration that no local process stands in for. */
  readonly omitted: readonly string[];
}

/**
 * The swarm configuration with static targets: `targets` maps a job name to `host:port` addresses.
 * Intervals shrink to `intervalSeconds` so that rates and alerts have samples within a short test.
 */
export async function localConfig(
  targets: Readonly<Record<string, readonly string[]>>,
  intervalSeconds: number,
): Promise<LocalConfig> {
  const config = await readConfig();
  const omitted: string[] = [];
  const scrapeConfigs = config.scrape_configs.flatMap((job) => {
    const addresses = targets[job.job_name];
    if (addresses === undefined) {
      omitted.push(job.job_name);
      return [];
    }
    return [
      {
        job_name: job.job_name,
        metrics_path: job.metrics_path ?? '/metrics',
        static_configs: addresses.map((address, index) => ({
          targets: [address],
          labels: { service: job.job_name, node: hostname(), slot: String(index + 1) },
        })),
      },
    ];
  });
  const yaml = dump({
    global: {
      ...config.global,
      scrape_interval: `${intervalSeconds}s`,
      scrape_timeout: `${intervalSeconds}s`,
      evaluation_interval: `${intervalSeconds}s`,
    },
    rule_files: config.rule_files.map((file) => join(PROMETHEUS_DIR, file)),
    scrape_configs: scrapeConfigs,
  });
  return { yaml, omitted };
}

export interface PromSeries {
  readonly metric: Record<string, string>;
  readonly values: readonly [number, string][];
}

export interface RunningPrometheus {
  readonly url: string;
  /** Instant query; throws on a Prometheus error (a bad expression names itself). */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  queryRange(
    expr: string,
    startSeconds: number,
    endSeconds: number,
    stepSeconds: number,
  ): Promise<PromSeries[]>;
  /** Every metric name in the database. */
  metricNames(): Promise<Set<string>>;
  output(): string;
  close(): Promise<void>;
}

interface ApiAnswer<T> {
  readonly status: 'success' | 'error';
  readonly data: T;
  readonly error?: string;
}

async function api<T>(url: string, path: string, params: Record<string, string>): Promise<T> {
  const response = await fetch(`${url}${path}?${new URLSearchParams(params).toString()}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const answer = (await response.json()) as ApiAnswer<T>;
  if (answer.status !== 'success')
    throw new Error(`${path} ${JSON.stringify(params)}: ${answer.error ?? response.status}`);
  return answer.data;
}

/** Starts Prometheus with `configYaml` on a free loopback port and resolves once it is ready. */
export async function startPrometheus(configYaml: string): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'remcode-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { child, close, output } = startTool(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stopSignal: 'SIGTERM', scratchDir: dir },
  );
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited:\n${output()}`);
        return fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
      },
      30_000,
      'prometheus to be ready',
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    query: (expr) => api(url, '/api/v1/query', { query: expr }).then((d) => (d as { result: never }).result),
    queryRange: (expr, start, end, step) =>
      api(url, '/api/v1/query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      }).then((d) => (d as { result: PromSeries[] }).result),
    metricNames: async () => new Set(await api<string[]>(url, '/api/v1/label/__name__/values', {})),
    output,
    close,
  };
}
