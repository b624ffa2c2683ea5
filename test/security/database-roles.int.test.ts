import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDatabase as prepareProgramDatabase } from '../../common/db.js';
import { createLogger } from '../../common/logger.js';
import { freePort } from '../support/ports.js';
import { until } from '../support/until.js';

/**
 * The stack's Postgres image (password logins only, as on a Swarm) and `prepare-database` run as the
 * manifest's `migrate` service runs it: the owner applies the migrations and gives each program role the
 * password from its secret file; each program then logs in with its own password and no other.
 */

const run = promisify(execFile);
const repo = new URL('../../', import.meta.url).pathname;
const IMAGE = process.env.REMCODE_TEST_POSTGRES_IMAGE ?? 'remcode-postgres:local';

const name = `remcode-test-roles-${randomBytes(4).toString('hex')}`;
const passwords = {
  owner: randomBytes(16).toString('hex'),
  webapp: randomBytes(16).toString('hex'),
  executor: randomBytes(16).toString('hex'),
};
let dir: string;
let port: number;

function url(user: string, password: string): string {
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/remcode`;
}

/** Connects as `user` and runs `sql`; the SQLSTATE it fails with, or 'ok'. */
async function as(user: string, password: string, sql: string): Promise<string> {
  const client = new pg.Client({ connectionString: url(user, password), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(sql);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function prepareDatabase(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'common/cli/prepare-database.ts'], {
      cwd: repo,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remcode-roles-'));
  await writeFile(join(dir, 'postgres_password'), passwords.owner, { mode: 0o644 });
  await writeFile(join(dir, 'postgres_webapp_password'), passwords.webapp, { mode: 0o644 });
  await writeFile(join(dir, 'postgres_executor_password'), passwords.executor, { mode: 0o644 });
  port = await freePort();
  await run('docker', [
    'run',
    '-d',
    '--name',
    name,
    '-p',
    `127.0.0.1:${port}:5432`,
    '-v',
    `${dir}/postgres_password:/run/secrets/postgres_password:ro`,
    '-e',
    'POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password',
    IMAGE,
  ]);
  await until(async () => (await as('postgres', passwords.owner, 'SELECT 1')) === 'ok', 120_000, 'Postgres');
}, 180_000);

afterAll(async () => {
  await run('docker', ['rm', '-f', '-v', name]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  const { stdout } = await run('docker', ['ps', '-a', '-q', '--filter', `name=${name}`]);
  if (stdout.trim() !== '') throw new Error(`container ${name} was left behind`);
});

describe('program roles on the stack Postgres', () => {
  it('prepare-database, as the owner, migrates and gives each program role its password', async () => {
    const { code, output } = await prepareDatabase({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/remcode`,
      DATABASE_PASSWORD_FILE: join(dir, 'postgres_password'),
      REMCODE_WEBAPP_DATABASE_PASSWORD_FILE: join(dir, 'postgres_webapp_password'),
      REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE: join(dir, 'postgres_executor_password'),
    });
    expect(code, output).toBe(0);
    expect(output).toContain('database ready');
    expect(output).not.toContain(passwords.executor);
    expect(output).not.toContain(passwords.owner);
  });

  it('each program logs in with its own password only, and keeps to its privileges', async () => {
    expect(await as('remcode_executor', passwords.executor, 'SELECT count(*) FROM submissions')).toBe('ok');
    expect(await as('remcode_webapp', passwords.webapp, 'SELECT count(*) FROM api_keys')).toBe('ok');
    // 28P01: password authentication failed.
    expect(await as('remcode_executor', passwords.owner, 'SELECT 1')).toBe('28P01');
    expect(await as('remcode_executor', passwords.webapp, 'SELECT 1')).toBe('28P01');
    expect(await as('remcode_webapp', passwords.executor, 'SELECT 1')).toBe('28P01');
    expect(await as('remcode_executor', passwords.executor, 'SELECT * FROM api_keys')).toBe('42501');
    expect(await as('remcode_executor', passwords.executor, "COPY (SELECT 1) TO PROGRAM 'id'")).toBe('42501');
    expect(await as('remcode_webapp', passwords.webapp, 'CREATE TABLE x (a int)')).toBe('42501');
  });

  it('prepare-database refuses an empty password file with a message naming the variable', async () => {
    await writeFile(join(dir, 'empty'), '');
    const { code, output } = await prepareDatabase({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/remcode`,
      DATABASE_PASSWORD_FILE: join(dir, 'postgres_password'),
      REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE: join(dir, 'empty'),
    });
    expect(code).toBe(78);
    expect(output).toContain('REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE: the file is empty');
    // The password set before still holds.
    expect(await as('remcode_executor', passwords.executor, 'SELECT 1')).toBe('ok');
  });

  it('where DATABASE_URL names remcode_webapp, migrates as the owner named by REMCODE_OWNER_*', async () => {
    const rotated = randomBytes(16).toString('hex');
    await writeFile(join(dir, 'postgres_webapp_password_2'), rotated, { mode: 0o644 });
    const { code, output } = await prepareDatabase({
      DATABASE_URL: `postgres://remcode_webapp@127.0.0.1:${port}/remcode`,
      DATABASE_PASSWORD_FILE: join(dir, 'postgres_webapp_password_2'),
      REMCODE_OWNER_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/remcode`,
      REMCODE_OWNER_DATABASE_PASSWORD_FILE: join(dir, 'postgres_password'),
      REMCODE_WEBAPP_DATABASE_PASSWORD_FILE: join(dir, 'postgres_webapp_password_2'),
      REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE: join(dir, 'postgres_executor_password'),
    });
    expect(code, output).toBe(0);
    expect(output).toContain('database ready');
    expect(output).not.toContain(passwords.owner);
    expect(output).not.toContain(rotated);
    // Only the owner could have set it: remcode_webapp may not alter roles.
    expect(await as('remcode_webapp', rotated, 'SELECT 1')).toBe('ok');
    expect(await as('remcode_webapp', passwords.webapp, 'SELECT 1')).toBe('28P01');
    // The webapp's own start then finds nothing to apply, and would not be allowed to.
    const logger = createLogger('test', 'silent');
    await prepareProgramDatabase(url('remcode_webapp', rotated), logger, { waitMs: 0 });
    expect(await as('remcode_webapp', rotated, 'CREATE TABLE y (a int)')).toBe('42501');
  });
});
