import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../autoscale/policy.js';
import { formatIssue, loadDesired, parseDesired } from './load.js';
import { SCHEMA_FILE, renderSchema } from './write-schema.js';

const header = 'version: 1\nstack: demo\n';

function issues(source: string): string[] {
  const result = parseDesired(source, 'demo.yaml');
  return result.ok ? [] : result.issues.map(formatIssue);
}

describe('desired-state file', () => {
  it('accepts the shipped manifests/remcode.yaml', async () => {
    const file = fileURLToPath(new URL('../../manifests/remcode.yaml', import.meta.url));
    const result = await loadDesired(file);
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([]);
  });

  describe('a seccomp profile file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'desired-seccomp-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const yaml = (profile: string) =>
      `${header}services:\n  executor:\n    image: x\n    seccomp: { profile: ${profile} }\n`;
    const load = (profile: string) => parseDesired(yaml(profile), join(dir, 'remcode.yaml'));

    it('is read relative to the desired-state file and kept as an absolute path', () => {
      mkdirSync(join(dir, 'seccomp'), { recursive: true });
      writeFileSync(
        join(dir, 'seccomp', 'ok.json'),
        JSON.stringify({
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
        }),
      );
      const result = load('seccomp/ok.json');
      expect(result.ok && result.desired.services['executor']?.seccomp).toEqual({
        profile: join(dir, 'seccomp', 'ok.json'),
      });
    });

    it.each([
      ['missing', 'absent.json', undefined, /cannot read the seccomp profile .*absent\.json: ENOENT/],
      ['not JSON', 'broken.json', '{ "defaultAction": ', /is not JSON/],
      ['without a default action', 'no-default.json', '{ "syscalls": [] }', /needs "defaultAction"/],
      [
        'with a rule naming no call',
        'no-names.json',
        '{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{ "names": [], "action": "SCMP_ACT_ALLOW" }] }',
        /syscalls\[0\] needs "names"/,
      ],
      [
        'with a rule of no known action',
        'bad-action.json',
        '{ "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{ "names": ["read"], "action": "allow" }] }',
        /syscalls\[0\] needs "action"/,
      ],
    ])('is refused when %s, at its line', (_what, name, content, message) => {
      if (content !== undefined) writeFileSync(join(dir, name), content);
      const result = load(name);
      expect(result.ok).toBe(false);
      const [issue] = result.ok ? [] : result.issues;
      expect(issue).toMatchObject({ line: 6, path: 'services.executor.seccomp.profile' });
      expect(issue?.message).toMatch(message);
    });
  });

  it('keeps the committed JSON Schema in step with the TypeBox source', async () => {
    // Regenerate with `npm run controller:schema` when this fails.
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(await renderSchema());
  });

  it.each([
    [
      'an unknown key, at the key',
      `${header}services:\n  web:\n    image: x\n    imgae: y\n`,
      'demo.yaml:6: services.web.imgae: unknown key "imgae"',
    ],
    [
      'a wrong type',
      `${header}services:\n  web:\n    image: x\n    replicas: "two"\n`,
      'demo.yaml:6: services.web.replicas: Expected integer',
    ],
    [
      'an impossible value',
      `${header}services:\n  web:\n    image: x\n    replicas: -1\n`,
      'demo.yaml:6: services.web.replicas: Expected integer to be greater or equal to 0',
    ],
    [
      'an invalid service name',
      `${header}services:\n  Web_Server:\n    image: x\n`,
      'demo.yaml:4: services.Web_Server: "Web_Server" is not a valid name (lower-case letters, digits, - and _)',
    ],
    [
      'a nested unknown key inside a list item',
      `${header}services:\n  web:\n    image: x\n    ports:\n      - target: 80\n        published: 8080\n        host: 1.2.3.4\n`,
      'demo.yaml:9: services.web.ports[0].host: unknown key "host"',
    ],
    [
      'a subnet that is not one',
      `${header}networks:\n  monitoring: { subnet: 10.231.0.0/33 }\nservices:\n  web:\n    image: x\n`,
      'demo.yaml:4: networks.monitoring.subnet: the subnet has a prefix longer than 32 bits: "10.231.0.0/33"',
    ],
    [
      'two networks whose subnets overlap',
      `${header}networks:\n  a: { subnet: 10.231.0.0/20 }\n  b: { subnet: 10.231.4.0/24 }\nservices:\n  web:\n    image: x\n`,
      'demo.yaml:5: networks.b.subnet: the subnet overlaps network "a"\'s 10.231.0.0/20',
    ],
    [
      'a job with a replica count',
      `${header}services:\n  migrate:\n    image: x\n    mode: job\n    replicas: 2\n`,
      'demo.yaml:7: services.migrate.replicas: mode: job takes no replicas: a job runs one task to completion',
    ],
    [
      'a job with a rollout policy',
      `${header}services:\n  migrate:\n    image: x\n    mode: job\n    update_config: { order: start-first }\n`,
      'demo.yaml:7: services.migrate.update_config: mode: job takes no update_config: Swarm runs a changed job again instead of rolling it out',
    ],
    [
      'a restart policy on a replicated service',
      `${header}services:\n  web:\n    image: x\n    restart_policy: { max_attempts: 2 }\n`,
      'demo.yaml:6: services.web.restart_policy: restart_policy applies to mode: job; a replicated service is started again whenever it stops',
    ],
    [
      'a mode that does not exist',
      `${header}services:\n  migrate:\n    image: x\n    mode: once\n`,
      'demo.yaml:6: services.migrate.mode: Expected union value',
    ],
    [
      'a dangling network reference',
      `${header}services:\n  web:\n    image: x\n    networks: [backend]\n`,
      'demo.yaml:6: services.web.networks[0]: network "backend" is not declared under networks',
    ],
    [
      'a dangling secret reference in the long form',
      `${header}secrets:\n  a: { generate: true }\nservices:\n  web:\n    image: x\n    secrets:\n      - source: b\n`,
      'demo.yaml:9: services.web.secrets[0].source: secret "b" is not declared under secrets',
    ],
    [
      'an undeclared volume',
      `${header}services:\n  web:\n    image: x\n    mounts:\n      - { type: volume, source: data, target: /data }\n`,
      'demo.yaml:7: services.web.mounts[0]: volume "data" is not declared under volumes',
    ],
    [
      'a reservation above the limit',
      `${header}services:\n  web:\n    image: x\n    resources:\n      limits: { memory: 64MiB }\n      reservations: { memory: 1GiB }\n`,
      'demo.yaml:8: services.web.resources.reservations.memory: the memory reservation is larger than the limit',
    ],
    [
      'a dependency cycle',
      `${header}services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n`,
      'demo.yaml:6: services.a.depends_on: dependency cycle: a -> b -> a',
    ],
    [
      'a port published twice',
      `${header}services:\n  a:\n    image: x\n    ports: [{ target: 80, published: 8080 }]\n  b:\n    image: x\n    ports: [{ target: 80, published: 8080 }]\n`,
      'demo.yaml:9: services.b.ports[0].published: port tcp/8080 is already published by a',
    ],
    [
      'replicas beside an autoscale policy, at replicas',
      `${header}services:\n  a:\n    image: x\n    replicas: 2\n    autoscale: { min: 1, max: 4, checks: { q: { queue: {} } } }\n`,
      'demo.yaml:6: services.a.replicas: replicas and autoscale are mutually exclusive',
    ],
    [
      'an autoscale minimum above its maximum',
      `${header}services:\n  a:\n    image: x\n    autoscale: { min: 5, max: 4, checks: { q: { queue: {} } } }\n`,
      'demo.yaml:6: services.a.autoscale.min: min 5 is above max 4',
    ],
    [
      'an autoscale check with two sources',
      `${header}services:\n  a:\n    image: x\n    autoscale:\n      min: 0\n      max: 4\n      checks:\n        q:\n          queue: {}\n          prometheus: { query: up, target: 1 }\n`,
      'demo.yaml:11: services.a.autoscale.checks.q: a check needs exactly one of "queue" or "prometheus"',
    ],
    [
      'a Prometheus check with both a target and thresholds',
      `${header}services:\n  a:\n    image: x\n    autoscale:\n      min: 0\n      max: 4\n      checks:\n        p:\n          prometheus: { query: up, target: 1, upper: 3 }\n`,
      'demo.yaml:11: services.a.autoscale.checks.p.prometheus: a Prometheus check needs either',
    ],
    [
      'a Prometheus check with lower above upper',
      `${header}services:\n  a:\n    image: x\n    autoscale:\n      min: 0\n      max: 4\n      checks:\n        p:\n          prometheus: { query: up, lower: 5, upper: 3 }\n`,
      'demo.yaml:11: services.a.autoscale.checks.p.prometheus.lower: lower must be below upper',
    ],
    [
      'an autoscale policy without checks',
      `${header}services:\n  a:\n    image: x\n    autoscale: { min: 0, max: 4, checks: {} }\n`,
      'demo.yaml:6: services.a.autoscale.checks: a policy needs at least one check',
    ],
    [
      'a fallback outside the bounds',
      `${header}services:\n  a:\n    image: x\n    autoscale: { min: 1, max: 4, fallback: { after: 3, replicas: 9 }, checks: { q: { queue: {} } } }\n`,
      'demo.yaml:6: services.a.autoscale.fallback.replicas: the fallback must lie within min 1 and max 4',
    ],
    [
      'an unknown key in an autoscale policy',
      `${header}services:\n  a:\n    image: x\n    autoscale:\n      min: 0\n      max: 4\n      cooldown: 5m\n      checks: { q: { queue: {} } }\n`,
      'demo.yaml:9: services.a.autoscale.cooldown: unknown key "cooldown"',
    ],
    [
      'a rebalance window mode without a window',
      `${header}services:\n  a:\n    image: x\n    rebalance: { mode: window }\n`,
      'demo.yaml:6: services.a.rebalance.window: mode window needs a window',
    ],
    [
      'a rebalance window that is not a time of day',
      `${header}services:\n  a:\n    image: x\n    rebalance: { mode: window, window: { start: "25:00", end: "02:00" } }\n`,
      'demo.yaml:6: services.a.rebalance.window.start: ',
    ],
    [
      'a secret with neither a file nor generate',
      `${header}secrets:\n  a: {}\nservices:\n  web:\n    image: x\n`,
      'demo.yaml:4: secrets.a: a secret needs exactly one of "generate: true" or "file"',
    ],
    [
      'a dnsrr service publishing through the routing mesh',
      `${header}services:\n  web:\n    image: x\n    endpoint_mode: dnsrr\n    ports: [{ target: 80, published: 8080 }]\n`,
      'demo.yaml:7: services.web.ports[0]: a dnsrr service can publish only in mode: host',
    ],
    [
      'an executor pool language the catalogue does not have',
      `${header}services:\n  pool:\n    image: x\n    languages: [python, klingon]\n`,
      'demo.yaml:6: services.pool.languages[1]: unknown language "klingon": the catalogue has python, c,',
    ],
    [
      'an executor pool language listed twice',
      `${header}services:\n  pool:\n    image: x\n    languages:\n      - c\n      - c\n`,
      'demo.yaml:8: services.pool.languages[1]: language "c" is listed twice',
    ],
    [
      'GCC extras on a service that is not an executor pool',
      `${header}services:\n  web:\n    image: x\n    gcc_extras: [static]\n`,
      "demo.yaml:6: services.web.gcc_extras: gcc_extras shapes an executor pool's image: give the service languages: as well",
    ],
    [
      'a GCC extra build.sh does not know',
      `${header}services:\n  pool:\n    image: x\n    languages: [c]\n    gcc_extras: [static, profiler]\n`,
      'demo.yaml:7: services.pool.gcc_extras[1]: ',
    ],
    ['a YAML syntax error', `${header}services:\n  web: [\n`, 'demo.yaml:5: (root): '],
    ['a missing stack', 'version: 1\nservices: {}\n', 'demo.yaml:1: stack: Expected required property'],
  ])('rejects %s with file, line and path', (_name, source, expected) => {
    const found = issues(source);
    expect(
      found.some((issue) => issue.startsWith(expected)),
      found.join('\n'),
    ).toBe(true);
  });

  it('accepts a complete service definition', () => {
    const source = `${header}networks:\n  net: { internal: true }\nsecrets:\n  s: { generate: true }\nvolumes:\n  v: {}\nservices:
  web:
    image: example/web:1@sha256:${'a'.repeat(64)}
    command: [node, main.js]
    environment: { A: "1" }
    secrets: [s, { source: s, target: other, mode: 0o400 }]
    networks: [net]
    replicas: 2
    resources: { limits: { cpus: 1.5, memory: 512MiB }, reservations: { cpus: 0.25, memory: 64MiB } }
    placement: { constraints: [node.role==manager], preferences: [{ spread: node.labels.zone }], max_replicas_per_node: 2 }
    update_config: { parallelism: 1, delay: 5s, failure_action: rollback, order: start-first }
    rollback_config: { parallelism: 0 }
    healthcheck: { test: [CMD, "true"], interval: 5s, timeout: 2s, retries: 3, start_period: 10s }
    stop_grace_period: 30s
    ports: [{ target: 8080, published: 8080 }]
    mounts: [{ type: volume, source: v, target: /data }, { type: tmpfs, target: /tmp }]
    cap_add: [SYS_ADMIN]
    cap_drop: [NET_RAW]
    seccomp: unconfined
    labels: { team: a }
`;
    expect(issues(source)).toEqual([]);
  });

  it('accepts a complete autoscale policy and fills in its defaults in one place', () => {
    const source = `${header}services:
  executor:
    image: x
    autoscale:
      min: 0
      max: 10
      interval: 1s
      tolerance: 0.2
      scale_up: { stabilization: 3s, max_replicas: 2, period: 5s }
      scale_down: { stabilization: 30s, max_percent: 50 }
      fallback: { after: 3, replicas: 2 }
      dry_run: true
      checks:
        backlog: { queue: { per_replica: 4, max_wait: 5s } }
        latency: { prometheus: { query: "sum(rate(x[1m]))", target: 0.5, activation: 0.1 } }
        errors: { prometheus: { query: "sum(y)", url: "http://prometheus:9090", lower: 1, upper: 10 } }
`;
    const result = parseDesired(source, 'demo.yaml');
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([]);
    if (!result.ok) return;
    const def = result.desired.services.executor?.autoscale;
    expect(def).toBeDefined();
    if (!def) return;
    expect(parsePolicy(def)).toEqual({
      min: 0,
      max: 10,
      intervalMs: 1_000,
      tolerance: 0.2,
      scaleUp: { stabilizationMs: 3_000, maxReplicas: 2, maxPercent: 0, periodMs: 5_000 },
      scaleDown: { stabilizationMs: 30_000, maxReplicas: 0, maxPercent: 50, periodMs: 15_000 },
      fallback: { after: 3, replicas: 2 },
      paused: false,
      dryRun: true,
      checks: [
        { name: 'backlog', source: 'queue', perReplica: 4, maxWaitMs: 5_000, activation: 1 },
        {
          name: 'latency',
          source: 'prometheus',
          query: 'sum(rate(x[1m]))',
          url: undefined,
          mode: { kind: 'target', target: 0.5 },
          activation: 0.1,
        },
        {
          name: 'errors',
          source: 'prometheus',
          query: 'sum(y)',
          url: 'http://prometheus:9090',
          mode: { kind: 'thresholds', lower: 1, upper: 10 },
          activation: 0,
        },
      ],
    });
  });
});
