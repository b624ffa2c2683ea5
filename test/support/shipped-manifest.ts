/**
 * The shipped desired state (manifests/remcode.yaml) as the stack tests start from it: each takes the
 * services it needs, changes what the test is about, and writes every secret the manifest declares
 * as a file of its own, so the programs log in as the stack has them and the test knows the passwords
 * it reads the queue and the rows with.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDesired } from '../../controller/desired/load.js';
import type { DesiredFile, ServiceDef } from '../../controller/desired/schema.js';

const manifestFile = fileURLToPath(new URL('../../manifests/remcode.yaml', import.meta.url));

export interface ShippedManifest {
  readonly desired: DesiredFile;
  /** A copy of one of its services, free to change, on the test stack's networks (`offMonitoring`). */
  readonly pick: (name: string) => ServiceDef;
}

/**
 * A service of the shipped manifest as a test stack runs it: off the `monitoring` network, with an
 * executor's metrics on 0.0.0.0 instead of its address in that network's subnet. The subnet is fixed
 * in the manifest, and a Swarm gives it to one network at a time, so a test stack beside a stack
 * brought up by `swarm:up` (or one another test leaked) could not create its own. The swarm:up test
 * proves the monitoring network itself.
 */
export function offMonitoring(service: ServiceDef): ServiceDef {
  if (service.networks) service.networks = service.networks.filter((network) => network !== 'monitoring');
  if (service.environment && 'EXECUTOR_METRICS_SUBNET' in service.environment) {
    const { EXECUTOR_METRICS_SUBNET: _subnet, ...rest } = service.environment;
    service.environment = rest;
  }
  return service;
}

export async function shippedManifest(): Promise<ShippedManifest> {
  const loaded = await loadDesired(manifestFile);
  if (!loaded.ok) throw new Error(`manifests/remcode.yaml is invalid: ${JSON.stringify(loaded.issues)}`);
  const { desired } = loaded;
  return {
    desired,
    pick: (name) => {
      const service = desired.services[name];
      if (!service) throw new Error(`the manifest has no ${name}`);
      return offMonitoring(structuredClone(service));
    },
  };
}

export interface StackSecrets {
  /** For the desired-state file, which must sit in `dir`: it names the files by relative path. */
  readonly secrets: Record<string, { file: string }>;
  /** The default Redis user's password. */
  readonly redisPassword: string;
  /** The Postgres owner's password. */
  readonly postgresPassword: string;
}

/** A random value for every secret the manifest declares, each in a file of `dir`. */
export async function writeStackSecrets(desired: DesiredFile, dir: string): Promise<StackSecrets> {
  const secrets: Record<string, { file: string }> = {};
  const passwords = new Map<string, string>();
  for (const name of Object.keys(desired.secrets ?? {})) {
    const value = randomBytes(16).toString('hex');
    passwords.set(name, value);
    await writeFile(join(dir, name), value, { mode: 0o600 });
    secrets[name] = { file: name };
  }
  const redisPassword = passwords.get('redis_password');
  const postgresPassword = passwords.get('postgres_password');
  if (redisPassword === undefined || postgresPassword === undefined)
    throw new Error('the manifest declares no redis_password or postgres_password secret');
  return { secrets, redisPassword, postgresPassword };
}
