import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  parseControllerConfig,
  parseExecutorConfig,
  parseMigrateConfig,
  parseWebappConfig,
  redactUrl,
} from './config.js';

describe('parseWebappConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    const config = parseWebappConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/remcode',
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'remcode',
      auth: 'open',
      waitTimeoutMs: 10_000,
      retentionMs: 7 * 86_400_000,
    });
  });

  it('reads retention in days and limits from lists', () => {
    const config = parseWebappConfig({ REMCODE_RETENTION: '2d', REMCODE_LIMIT_MAXIMA: 'cpu_time=3s' });
    expect(config.retentionMs).toBe(2 * 86_400_000);
    expect(config.limitMaxima.cpuTimeMs).toBe(3000);
  });

  it('puts the password file into the database URL without logging it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'remcode-config-'));
    writeFileSync(join(dir, 'pw'), 's3cr/t\n');
    const config = parseWebappConfig({ DATABASE_PASSWORD_FILE: join(dir, 'pw') });
    expect(decodeURIComponent(new URL(config.databaseUrl).password)).toBe('s3cr/t');
    expect(redactUrl(config.databaseUrl)).not.toContain('s3cr');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['REMCODE_AUTH', 'maybe'],
    ['REMCODE_PREFIX', 'a b'],
    ['LOG_LEVEL', 'loud'],
    ['REMCODE_WAIT_TIMEOUT', 'soon'],
    ['REMCODE_LIMIT_DEFAULTS', 'memory=lots'],
    ['DATABASE_PASSWORD_FILE', '/nonexistent/file'],
  ])('names %s when its value %j is wrong', (variable, value) => {
    expect(() => parseWebappConfig({ [variable]: value })).toThrow(ConfigError);
    try {
      parseWebappConfig({ [variable]: value });
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as ConfigError).message).toContain(variable);
    }
  });
});

describe('parseExecutorConfig', () => {
  it('defaults to one slot per core and port 9101', () => {
    const config = parseExecutorConfig({});
    expect(config.slots).toBeGreaterThan(0);
    expect(config.metricsPort).toBe(9101);
    expect(config.shutdownGraceMs).toBe(25_000);
  });

  it('rejects zero slots', () => {
    expect(() => parseExecutorConfig({ EXECUTOR_SLOTS: '0' })).toThrow('EXECUTOR_SLOTS');
  });

  it('keeps as many standby slots as slots unless told otherwise', () => {
    expect(parseExecutorConfig({ EXECUTOR_SLOTS: '3' }).standbySlots).toBe(3);
    expect(parseExecutorConfig({ EXECUTOR_SLOTS: '3', EXECUTOR_STANDBY_SLOTS: '0' }).standbySlots).toBe(0);
    expect(() => parseExecutorConfig({ EXECUTOR_STANDBY_SLOTS: '-1' })).toThrow('EXECUTOR_STANDBY_SLOTS');
  });

  it('serves metrics on 0.0.0.0 unless told an address or a subnet, and never both', () => {
    expect(parseExecutorConfig({})).toMatchObject({ metricsHost: '0.0.0.0', metricsSubnet: undefined });
    expect(parseExecutorConfig({ EXECUTOR_METRICS_HOST: '127.0.0.1' }).metricsHost).toBe('127.0.0.1');
    expect(parseExecutorConfig({ EXECUTOR_METRICS_SUBNET: '10.231.0.0/20' }).metricsSubnet).toEqual({
      text: '10.231.0.0/20',
      network: '10.231.0.0',
      prefix: 20,
      family: 'ipv4',
    });
    expect(() =>
      parseExecutorConfig({ EXECUTOR_METRICS_HOST: '0.0.0.0', EXECUTOR_METRICS_SUBNET: '10.231.0.0/20' }),
    ).toThrow('EXECUTOR_METRICS_SUBNET: set it or EXECUTOR_METRICS_HOST, not both');
    expect(() => parseExecutorConfig({ EXECUTOR_METRICS_SUBNET: '10.231.0.0' })).toThrow(
      'EXECUTOR_METRICS_SUBNET must be a subnet such as 10.231.0.0/20, not "10.231.0.0"',
    );
  });

  it('keeps Python warm unless EXECUTOR_WARM says otherwise', () => {
    expect(parseExecutorConfig({}).warmLanguage).toBe('python');
    expect(parseExecutorConfig({ EXECUTOR_WARM: 'off' }).warmLanguage).toBeNull();
    expect(parseExecutorConfig({ EXECUTOR_WARM: '' }).warmLanguage).toBeNull();
    expect(parseExecutorConfig({ EXECUTOR_WARM: 'ruby' }).warmLanguage).toBe('ruby');
    expect(() => parseExecutorConfig({ EXECUTOR_WARM: 'Python 3' })).toThrow('EXECUTOR_WARM');
  });
});

describe('blank and bad values of every program', () => {
  const parsers = {
    executor: parseExecutorConfig,
    controller: parseControllerConfig,
    'prepare-database': parseMigrateConfig,
  };

  it('takes the default for an empty value of a number, a duration or a switch', () => {
    const config = parseWebappConfig({
      PORT: '',
      REMCODE_RETENTION: '',
      REMCODE_PISTON: '',
      REMCODE_MAX_BODY: '',
    });
    expect(config).toMatchObject({ port: 8080, retentionMs: 7 * 86_400_000, maxBodyBytes: 4 * 1024 ** 2 });
    expect(config.compat.piston).toBe(true);
  });

  it.each([
    ['executor', 'EXECUTOR_POOL', 'Big'],
    ['executor', 'EXECUTOR_LANGUAGES', 'python,,c'],
    ['executor', 'EXECUTOR_ALLOW_UNCAPPED_SWAP', 'yes'],
    ['executor', 'EXECUTOR_COMPILE_CACHE', 'huge'],
    ['executor', 'EXECUTOR_METRICS_PORT', '65536'],
    ['executor', 'EXECUTOR_METRICS_SUBNET', '10.231.0.0/40'],
    ['controller', 'CONTROLLER_SOCKET', 'run/controller.sock'],
    ['controller', 'CONTROLLER_SOCKET', `/${'a'.repeat(107)}`],
    ['controller', 'PROMETHEUS_URL', 'ftp://prometheus'],
    ['controller', 'REMCODE_AUTOSCALE_REDIS', 'yes'],
    ['prepare-database', 'REMCODE_WEBAPP_DATABASE_PASSWORD_FILE', '/nonexistent/file'],
    ['prepare-database', 'REMCODE_OWNER_DATABASE_URL', 'not a url'],
    ['prepare-database', 'REMCODE_OWNER_DATABASE_PASSWORD_FILE', '/nonexistent/file'],
  ] as const)('the %s names %s when its value %j is wrong', (program, variable, value) => {
    let thrown: unknown;
    try {
      parsers[program]({ [variable]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as ConfigError).message).toContain(variable);
  });

  it('refuses an empty role password file and reads a full one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'remcode-config-'));
    writeFileSync(join(dir, 'empty'), '\n');
    writeFileSync(join(dir, 'pw'), 'executor-pw\n');
    expect(() => parseMigrateConfig({ REMCODE_WEBAPP_DATABASE_PASSWORD_FILE: join(dir, 'empty') })).toThrow(
      'REMCODE_WEBAPP_DATABASE_PASSWORD_FILE: the file is empty',
    );
    expect(
      parseMigrateConfig({ REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE: join(dir, 'pw') }).rolePasswords,
    ).toEqual({ remcode_executor: 'executor-pw' });
  });

  it("logs in as the owner named by REMCODE_OWNER_* when the process's DATABASE_URL names a program role", () => {
    const dir = mkdtempSync(join(tmpdir(), 'remcode-config-'));
    writeFileSync(join(dir, 'owner'), 'owner pw\n');
    writeFileSync(join(dir, 'webapp'), 'webapp-pw\n');
    writeFileSync(join(dir, 'empty'), '');
    // The stack's webapp task: its own pool's role in DATABASE_URL, the owner's beside it.
    const webappTask = {
      DATABASE_URL: 'postgres://remcode_webapp@postgres:5432/remcode',
      DATABASE_PASSWORD_FILE: join(dir, 'webapp'),
      REMCODE_OWNER_DATABASE_URL: 'postgres://postgres@postgres:5432/remcode',
      REMCODE_OWNER_DATABASE_PASSWORD_FILE: join(dir, 'owner'),
      REMCODE_WEBAPP_DATABASE_PASSWORD_FILE: join(dir, 'webapp'),
    };
    expect(parseMigrateConfig(webappTask)).toMatchObject({
      databaseUrl: 'postgres://postgres:owner%20pw@postgres:5432/remcode',
      rolePasswords: { remcode_webapp: 'webapp-pw' },
    });
    // Unset: DATABASE_URL is the owner's, as under `npm start`.
    expect(
      parseMigrateConfig({
        ...webappTask,
        REMCODE_OWNER_DATABASE_URL: '',
        REMCODE_OWNER_DATABASE_PASSWORD_FILE: '',
      }).databaseUrl,
    ).toBe('postgres://remcode_webapp:webapp-pw@postgres:5432/remcode');
    expect(() => parseMigrateConfig({ ...webappTask, REMCODE_OWNER_DATABASE_URL: '' })).toThrow(
      'REMCODE_OWNER_DATABASE_PASSWORD_FILE: set REMCODE_OWNER_DATABASE_URL as well, naming the owner',
    );
    expect(() =>
      parseMigrateConfig({ ...webappTask, REMCODE_OWNER_DATABASE_PASSWORD_FILE: join(dir, 'empty') }),
    ).toThrow('REMCODE_OWNER_DATABASE_PASSWORD_FILE: the file is empty');
    expect(() =>
      parseMigrateConfig({ ...webappTask, REMCODE_OWNER_DATABASE_URL: 'mysql://root@db/remcode' }),
    ).toThrow('REMCODE_OWNER_DATABASE_URL');
  });
});
