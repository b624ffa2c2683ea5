/**
 * End to end: `npm run swarm:up` brings the whole platform up from manifests/remcode.yaml, a
 * submission runs through the edge's published port on 127.0.0.1, a hand-made change is put back,
 * and `npm run swarm:down` removes it all. Builds every image (minutes on a fresh machine);
 * REMCODE_E2E_SWARM=0 skips it while iterating on other parts.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, inspectService, waitFor } from '../../test/support/swarm.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const base = 'http://127.0.0.1:8080';
const enabled = process.env.REMCODE_E2E_SWARM !== '0';

describe.runIf(enabled)('swarm:up end to end', () => {
  afterAll(async () => {
    await run('npm', ['run', '-s', 'swarm:down', '--', '--volumes'], { cwd: repo });
    const left = (await docker.listServices()).filter((s) => s.Spec?.Name?.startsWith('remcode_'));
    if (left.length > 0)
      throw new Error(`swarm:down left services: ${left.map((s) => s.Spec?.Name).join(', ')}`);
  }, 300_000);

  it('brings the platform up from the manifest and runs a submission through the edge', async () => {
    const started = Date.now();
    await run('npm', ['run', '-s', 'swarm:up'], { cwd: repo, maxBuffer: 1 << 26, timeout: 1_500_000 });
    const response = await waitFor(
      'a finished submission',
      async () => {
        const answer = await fetch(`${base}/api/v1/submissions?wait=true`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ language: 'python', source: 'print(6 * 7)' }),
        });
        if (answer.status !== 200) return undefined;
        return (await answer.json()) as { state: string; verdict: string; stdout: string };
      },
      300_000,
    );
    console.log(`swarm:up to first finished submission: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(response).toMatchObject({ state: 'finished', stdout: '42\n' });

    // Drift: scale the webapp by hand; the controller puts it back within one resync interval.
    const current = await inspectService('remcode_webapp');
    const drifted = Date.now();
    await docker.getService('remcode_webapp').update({
      _query: { version: current.Version.Index },
      _body: { ...current.Spec, Mode: { Replicated: { Replicas: 3 } } },
    });
    await waitFor('the controller to restore replicas', async () => {
      const spec = (await inspectService('remcode_webapp')).Spec as {
        Mode: { Replicated: { Replicas: number } };
      };
      return spec.Mode.Replicated.Replicas === 2;
    });
    console.log(`drift corrected after ${((Date.now() - drifted) / 1000).toFixed(1)} s`);
  }, 1_800_000);
});
