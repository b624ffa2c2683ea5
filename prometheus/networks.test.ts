/**
 * The scrape jobs of prometheus.yml against the shipped manifest: each job keeps its targets on a
 * network that both its service and Prometheus join, and the executors' on the network that only
 * Prometheus and they share, whose subnet is the one the executors bind their metrics in. A network
 * renamed in one file and not the other would otherwise leave a job with no targets and no error.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadDesired, formatIssue } from '../controller/desired/load.js';
import type { DesiredFile } from '../controller/desired/schema.js';
import { CONFIG_FILE } from './rules.js';

interface Relabel {
  source_labels?: string[];
  regex?: string;
  action?: string;
}
interface Job {
  job_name: string;
  dockerswarm_sd_configs?: unknown[];
  relabel_configs?: Relabel[];
}

/** The `regex` of the job's `keep` rule on one meta label. */
function kept(job: Job, label: string): string | undefined {
  return job.relabel_configs?.find(
    (rule) => rule.action === 'keep' && rule.source_labels?.length === 1 && rule.source_labels[0] === label,
  )?.regex;
}

async function manifest(): Promise<DesiredFile> {
  const result = await loadDesired(fileURLToPath(new URL('../manifests/remcode.yaml', import.meta.url)));
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.desired;
}

const jobs = (load(await readFile(CONFIG_FILE, 'utf8')) as { scrape_configs: Job[] }).scrape_configs.filter(
  (job) => job.dockerswarm_sd_configs !== undefined,
);

describe('the scrape jobs and the manifest', () => {
  it.each(jobs.map((job) => [job.job_name, job] as const))(
    'the %s job keeps one network, which Prometheus joins',
    async (_name, job) => {
      const desired = await manifest();
      const network = kept(job, '__meta_dockerswarm_network_name');
      expect(network).toMatch(new RegExp(`^${desired.stack}_[a-z0-9_-]+$`));
      const short = network!.slice(desired.stack.length + 1);
      expect(Object.keys(desired.networks ?? {})).toContain(short);
      expect(desired.services['prometheus']?.networks).toContain(short);
      // The controller runs outside the stack (remcode-controller) and is attached to the backend by hand.
      const service = kept(job, '__meta_dockerswarm_service_name');
      const inStack = service?.startsWith(`${desired.stack}_`)
        ? service.slice(desired.stack.length + 1)
        : null;
      if (inStack !== null) expect(desired.services[inStack]?.networks).toContain(short);
    },
  );

  it('scrapes the executors on the monitoring network, whose subnet they bind their metrics in', async () => {
    const desired = await manifest();
    const executor = jobs.find((job) => job.job_name === 'executor');
    expect(executor && kept(executor, '__meta_dockerswarm_network_name')).toBe(`${desired.stack}_monitoring`);
    const subnet = desired.networks?.['monitoring']?.subnet;
    expect(subnet).toBeDefined();
    expect(desired.services['executor']?.environment).toMatchObject({ EXECUTOR_METRICS_SUBNET: subnet });
    // Only Prometheus and executor pools (services with `languages`): nothing else may reach the
    // executors' metrics.
    const others = Object.entries(desired.services)
      .filter(([name, service]) => name !== 'prometheus' && service.networks?.includes('monitoring'))
      .filter(([, service]) => service.languages === undefined)
      .map(([name]) => name);
    expect(others).toEqual([]);
    expect(desired.services['prometheus']?.networks).toContain('monitoring');
    expect(desired.services['executor']?.networks).toContain('monitoring');
  });
});
