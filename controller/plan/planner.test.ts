import { describe, expect, it } from 'vitest';
import type { DesiredFile } from '../desired/schema.js';
import { buildServiceSpec, mergeForUpdate, ownershipLabels, type Spec } from '../swarm/spec.js';
import {
  formatPlan,
  pendingChanges,
  plan,
  serviceOrder,
  type ActualService,
  type ActualState,
} from './planner.js';

const features = { seccomp: false };
const digest = `sha256:${'c'.repeat(64)}`;

function desired(services: DesiredFile['services'], extra: Partial<DesiredFile> = {}): DesiredFile {
  return { version: 1, stack: 'st', services, ...extra };
}

/** A Swarm-side service as the engine would return it after a create from the desired spec. */
function deployed(
  file: DesiredFile,
  name: string,
  edit: (spec: Spec) => void = () => {},
  version = 10,
): ActualService {
  const spec = buildServiceSpec(file, name, new Map([[`st_s`, 'secret-id']]), features);
  // Swarm adds fields the file never mentions; they must not count as drift.
  (spec.TaskTemplate as Record<string, unknown>).ForceUpdate = 3;
  (spec.TaskTemplate as Record<string, unknown>).Runtime = 'container';
  (
    (spec.TaskTemplate as Record<string, Record<string, unknown>>).Placement as Record<string, unknown>
  ).Platforms = [{ Architecture: 'amd64', OS: 'linux' }];
  edit(spec);
  return {
    id: `id-${name}`,
    name: `st_${name}`,
    labels: spec.Labels as Record<string, string>,
    version,
    spec,
    updateState: undefined,
  };
}

const container = (spec: Spec): Record<string, unknown> =>
  (spec.TaskTemplate as Record<string, Record<string, unknown>>).ContainerSpec as Record<string, unknown>;

function state(partial: Partial<ActualState>): ActualState {
  return { services: [], networks: [], secrets: [], ...partial };
}

const web = { image: 'app:1', command: ['sleep', 'infinity'], environment: { A: '1', B: '2' }, replicas: 2 };
const job = { image: 'app:1', mode: 'job' as const, command: ['migrate'], environment: { A: '1' } };

describe('plan', () => {
  const cases: Array<{
    name: string;
    file: DesiredFile;
    actual: (file: DesiredFile) => ActualState;
    expected: string[];
  }> = [
    {
      name: 'creates everything on an empty swarm, networks and secrets first',
      file: desired(
        { web: { ...web, networks: ['net'], secrets: ['s'] } },
        { networks: { net: {} }, secrets: { s: { generate: true } } },
      ),
      actual: () => state({}),
      expected: ['create network net', 'create secret s', 'create service web'],
    },
    {
      name: 'does nothing when the service is as described, whatever Swarm added',
      file: desired({ web }),
      actual: (file) => state({ services: [deployed(file, 'web')] }),
      expected: ['noop service web'],
    },
    {
      name: 'treats an image Swarm pinned to a digest as unchanged',
      file: desired({ web }),
      actual: (file) =>
        state({ services: [deployed(file, 'web', (s) => (container(s).Image = `app:1@${digest}`))] }),
      expected: ['noop service web'],
    },
    {
      name: 'treats a pinned digest in the file as unchanged when Swarm runs that digest',
      file: desired({ web: { ...web, image: `app:1@${digest}` } }),
      actual: (file) =>
        state({ services: [deployed(file, 'web', (s) => (container(s).Image = `app@${digest}`))] }),
      expected: ['noop service web'],
    },
    {
      name: 'leaves the replicas of an autoscaled service to the autoscaler',
      file: desired({ web: { image: 'app:1', autoscale: { min: 1, max: 8, checks: { q: { queue: {} } } } } }),
      actual: (file) =>
        state({
          services: [
            deployed(
              file,
              'web',
              (s) => ((s.Mode as { Replicated: { Replicas: number } }).Replicated.Replicas = 6),
            ),
          ],
        }),
      expected: ['noop service web'],
    },
    {
      name: 'keeps the autoscaled replica count while updating another field',
      file: desired({ web: { image: 'app:2', autoscale: { min: 1, max: 8, checks: { q: { queue: {} } } } } }),
      actual: (file) =>
        state({
          services: [
            deployed(file, 'web', (s) => {
              (s.Mode as { Replicated: { Replicas: number } }).Replicated.Replicas = 6;
              container(s).Image = 'app:1';
            }),
          ],
        }),
      expected: ['update service web: image restarts'],
    },
    {
      name: 'leaves a completed job alone: its run is no drift and nothing starts it again',
      file: desired({ migrate: job }),
      actual: (file) => state({ services: [deployed(file, 'migrate')] }),
      expected: ['noop service migrate'],
    },
    {
      name: 'updates a job whose image changed, which makes Swarm run it again',
      file: desired({ migrate: { ...job, image: 'app:2' } }),
      actual: (file) =>
        state({ services: [deployed(file, 'migrate', (s) => (container(s).Image = 'app:1'))] }),
      expected: ['update service migrate: image restarts'],
    },
    {
      name: 'updates a job whose secrets changed',
      file: desired(
        { migrate: { ...job, secrets: ['s', 't'] } },
        { secrets: { s: { generate: true }, t: { generate: true } } },
      ),
      actual: (file) =>
        state({
          services: [
            deployed(file, 'migrate', (s) => {
              const secrets = container(s).Secrets as unknown[];
              container(s).Secrets = secrets.slice(0, 1);
            }),
          ],
        }),
      expected: ['create secret s', 'create secret t', 'update service migrate: secrets restarts'],
    },
    {
      name: "updates a job whose restart policy changed by hand back to the file's",
      file: desired({ migrate: job }),
      actual: (file) =>
        state({
          services: [
            deployed(
              file,
              'migrate',
              (s) =>
                ((s.TaskTemplate as { RestartPolicy: { MaxAttempts: number } }).RestartPolicy.MaxAttempts =
                  9),
            ),
          ],
        }),
      expected: ['update service migrate: restart_policy restarts'],
    },
    {
      name: 'refuses to turn a replicated service into a job in place: Swarm cannot change a mode',
      file: desired({ migrate: job }),
      actual: () =>
        state({
          services: [deployed(desired({ migrate: { image: 'app:1', command: job.command } }), 'migrate')],
        }),
      expected: ['blocked service migrate'],
    },
    {
      name: 'updates an image changed by hand',
      file: desired({ web }),
      actual: (file) => state({ services: [deployed(file, 'web', (s) => (container(s).Image = 'app:2'))] }),
      expected: ['update service web: image restarts'],
    },
    {
      name: 'keeps a read-only root filesystem as the file says, and restores it when changed by hand',
      file: desired({ web: { ...web, read_only: true } }),
      actual: (file) => state({ services: [deployed(file, 'web', (s) => (container(s).ReadOnly = false))] }),
      expected: ['update service web: read_only restarts'],
    },
    {
      name: 'treats a root filesystem Swarm reports without ReadOnly as writable, as the file has it',
      file: desired({ web: { ...web, read_only: false } }),
      actual: (file) => state({ services: [deployed(file, 'web', (s) => delete container(s).ReadOnly)] }),
      expected: ['noop service web'],
    },
    {
      name: 'ignores the order of environment variables but not their values',
      file: desired({ web }),
      actual: (file) =>
        state({ services: [deployed(file, 'web', (s) => (container(s).Env = ['B=2', 'A=1']))] }),
      expected: ['noop service web'],
    },
    {
      name: 'updates an environment variable changed by hand',
      file: desired({ web }),
      actual: (file) =>
        state({ services: [deployed(file, 'web', (s) => (container(s).Env = ['A=1', 'B=3']))] }),
      expected: ['update service web: environment restarts'],
    },
    {
      name: 'scales without restarting tasks when only replicas differ',
      file: desired({ web }),
      actual: (file) =>
        state({ services: [deployed(file, 'web', (s) => (s.Mode = { Replicated: { Replicas: 5 } }))] }),
      expected: ['update service web: replicas'],
    },
    {
      name: 'never touches an unmanaged service that holds the name',
      file: desired({ web }),
      actual: (file) => {
        const foreign = deployed(file, 'web', (s) => (s.Labels = {}));
        return state({ services: [{ ...foreign, labels: {} }] });
      },
      expected: ['blocked service web'],
    },
    {
      name: 'never touches an unmanaged network or secret that holds the name',
      file: desired({}, { networks: { net: {} }, secrets: { s: { generate: true } } }),
      actual: () =>
        state({
          networks: [{ id: 'n1', name: 'st_net', labels: {} }],
          secrets: [{ id: 's1', name: 'st_s', labels: { other: 'x' } }],
        }),
      expected: ['blocked network net', 'blocked secret s'],
    },
    {
      name: 'removes a managed service that left the file when pruning is on',
      file: desired({ web }),
      actual: (file) => {
        const old = deployed(desired({ old: web }), 'old');
        return state({ services: [deployed(file, 'web'), old] });
      },
      expected: ['noop service web', 'remove service old'],
    },
    {
      name: 'keeps a managed service that left the file when pruning is off',
      file: desired({ web }, { prune: false }),
      actual: (file) => state({ services: [deployed(file, 'web'), deployed(desired({ old: web }), 'old')] }),
      expected: ['noop service web'],
    },
    {
      name: 'never prunes unmanaged or other stacks’ objects',
      file: desired({}),
      actual: () =>
        state({
          networks: [
            { id: 'n1', name: 'st_mine', labels: {} },
            { id: 'n2', name: 'st_theirs', labels: ownershipLabels('other') },
          ],
        }),
      expected: [],
    },
    {
      name: 'removes services before the networks and secrets they used',
      file: desired({}),
      actual: () =>
        state({
          networks: [{ id: 'n1', name: 'st_net', labels: ownershipLabels('st') }],
          secrets: [{ id: 's1', name: 'st_s', labels: ownershipLabels('st') }],
          services: [deployed(desired({ web }), 'web')],
        }),
      expected: ['remove service web', 'remove network net', 'remove secret s'],
    },
    {
      name: 'does not write while a rolling update is paused',
      file: desired({ web }),
      actual: (file) =>
        state({
          services: [
            { ...deployed(file, 'web', (s) => (container(s).Image = 'app:0')), updateState: 'paused' },
          ],
        }),
      expected: ['blocked service web'],
    },
    {
      name: 'does not write while a service rolls back',
      file: desired({ web }),
      actual: (file) =>
        state({
          services: [
            {
              ...deployed(file, 'web', (s) => (container(s).Image = 'app:0')),
              updateState: 'rollback_started',
            },
          ],
        }),
      expected: ['blocked service web'],
    },
    {
      name: 'orders services after their dependencies whatever the file order',
      file: desired({
        web: { ...web, depends_on: ['db', 'cache'] },
        cache: { image: 'c' },
        db: { image: 'd', depends_on: ['cache'] },
      }),
      actual: () => state({}),
      expected: ['create service cache', 'create service db', 'create service web'],
    },
    {
      name: 'compares networks by name although Swarm stores their ids',
      file: desired({ web: { ...web, networks: ['net'] } }, { networks: { net: {} } }),
      actual: (file) =>
        state({
          networks: [{ id: 'netid', name: 'st_net', labels: ownershipLabels('st') }],
          services: [
            deployed(
              file,
              'web',
              (s) =>
                ((s.TaskTemplate as Record<string, unknown>).Networks = [
                  { Target: 'netid', Aliases: ['web'] },
                ]),
            ),
          ],
        }),
      expected: ['noop network net', 'noop service web'],
    },
  ];

  it.each(cases)('$name', ({ file, actual, expected }) => {
    const result = plan(file, actual(file), { features });
    const summary = result.actions.map((action) =>
      action.kind === 'update'
        ? `update service ${action.name}: ${action.diffs.map((d) => d.field).join(',')}${action.restartsTasks ? ' restarts' : ''}`
        : `${action.kind} ${action.object} ${action.name}`,
    );
    expect(summary).toEqual(expected);
  });

  it('builds a replicas-only update that leaves the task template, ForceUpdate included, untouched', () => {
    const file = desired({ web });
    const actual = deployed(file, 'web', (s) => (s.Mode = { Replicated: { Replicas: 5 } }));
    const result = plan(file, state({ services: [actual] }), { features });
    const action = result.actions[0];
    if (action?.kind !== 'update') throw new Error('expected an update');
    const next = mergeForUpdate(
      actual.spec,
      buildServiceSpec(file, 'web', new Map(), features),
      action.diffs,
    );
    expect(next.TaskTemplate).toEqual(actual.spec.TaskTemplate);
    expect(next.Mode).toEqual({ Replicated: { Replicas: 2 } });
  });

  it('reports pending changes and prints field-level diffs', () => {
    const file = desired({ web });
    const actual = deployed(file, 'web', (s) => (container(s).Env = ['A=1']));
    const result = plan(file, state({ services: [actual] }), { features });
    expect(pendingChanges(result)).toBe(1);
    expect(formatPlan(result, 'st')).toContain('environment: ["A=1"] -> ["A=1","B=2"]');
  });

  it('leaves a replica count the rebalancer holds mid-move, and restores it once released', () => {
    const file = desired({ web });
    const moving = deployed(file, 'web', (s) => (s.Mode = { Replicated: { Replicas: 3 } }));
    const held = plan(file, state({ services: [moving] }), { features, heldReplicas: new Set(['web']) });
    expect(pendingChanges(held)).toBe(0);
    const released = plan(file, state({ services: [moving] }), { features, heldReplicas: new Set() });
    expect(formatPlan(released, 'st')).toContain('replicas: 3 -> 2');
  });

  it('lists services in dependency order', () => {
    expect(serviceOrder(desired({ a: { image: 'x', depends_on: ['b'] }, b: { image: 'x' } }))).toEqual([
      'b',
      'a',
    ]);
  });
});
