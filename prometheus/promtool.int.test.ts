/**
 * The configuration, the rules and the alert unit tests through Debian's promtool (installed by
 * scripts/setup.d/65-prometheus.sh): the swarm discovery configuration is checked here, since the
 * live-data test runs Prometheus with static targets instead.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONFIG_FILE, PROMETHEUS_DIR, RULE_FILES } from './rules.js';

const run = promisify(execFile);

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: PROMETHEUS_DIR });
    return stdout + stderr;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `promtool ${args.join(' ')} failed:\n${failed.stdout ?? ''}${failed.stderr ?? failed.message}`,
    );
  }
}

describe('promtool', () => {
  it('accepts the swarm configuration and the rule files it loads', async () => {
    const output = await promtool('check', 'config', CONFIG_FILE);
    expect(output).toContain('is valid prometheus config file syntax');
    expect(output).toContain(`SUCCESS: ${RULE_FILES.length} rule files found`);
  });

  it('accepts every rule file', async () => {
    const output = await promtool('check', 'rules', ...RULE_FILES);
    expect(output.match(/SUCCESS/g)).toHaveLength(RULE_FILES.length);
  });

  it('passes the alert unit tests', async () => {
    const output = await promtool('test', 'rules', 'tests/alerts.test.yml');
    expect(output).toContain('SUCCESS');
  });
});
