import { describe, expect, it } from 'vitest';
import { ConfigError, parseWebappConfig } from '../../common/config.js';

describe('compat configuration', () => {
  it('serves Piston and Judge0 under /judge0 with callbacks refused by default', () => {
    expect(parseWebappConfig({}).compat).toEqual({
      piston: true,
      judge0Prefix: '/judge0',
      judge0CallbackHosts: [],
      judge0CallbackPrivate: false,
      judge0AuthzTokens: [],
      judge0Delete: false,
    });
  });

  it.each([
    [{ REMCODE_JUDGE0_PREFIX: '/' }, { judge0Prefix: '' }],
    [{ REMCODE_JUDGE0_PREFIX: 'off' }, { judge0Prefix: null }],
    [{ REMCODE_JUDGE0_PREFIX: '/compat/judge0' }, { judge0Prefix: '/compat/judge0' }],
    [{ REMCODE_PISTON: 'off' }, { piston: false }],
    [
      {
        REMCODE_JUDGE0_CALLBACK_HOSTS: ' Hooks.Example.com, *.example.org ',
        REMCODE_JUDGE0_CALLBACK_PRIVATE: 'on',
      },
      { judge0CallbackHosts: ['hooks.example.com', '*.example.org'], judge0CallbackPrivate: true },
    ],
    [
      { REMCODE_JUDGE0_AUTHZ_TOKEN: ' old-token  new-token ', REMCODE_JUDGE0_DELETE: 'on' },
      { judge0AuthzTokens: ['old-token', 'new-token'], judge0Delete: true },
    ],
  ])('reads %j', (env, expected) => {
    expect(parseWebappConfig(env).compat).toMatchObject(expected);
  });

  it.each([
    [{ REMCODE_JUDGE0_PREFIX: 'judge0' }, 'REMCODE_JUDGE0_PREFIX'],
    [{ REMCODE_JUDGE0_PREFIX: '/judge0/' }, 'REMCODE_JUDGE0_PREFIX'],
    [{ REMCODE_PISTON: 'yes' }, 'REMCODE_PISTON'],
    [{ REMCODE_JUDGE0_CALLBACK_HOSTS: 'http://hooks.example.com' }, 'REMCODE_JUDGE0_CALLBACK_HOSTS'],
    [{ REMCODE_JUDGE0_CALLBACK_PRIVATE: 'true' }, 'REMCODE_JUDGE0_CALLBACK_PRIVATE'],
    [{ REMCODE_JUDGE0_DELETE: 'yes' }, 'REMCODE_JUDGE0_DELETE'],
    [{ REMCODE_JUDGE0_AUTHZ_TOKEN_FILE: '/nonexistent/judge0-authz' }, 'REMCODE_JUDGE0_AUTHZ_TOKEN_FILE'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => parseWebappConfig(env)).toThrow(ConfigError);
    try {
      parseWebappConfig(env);
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
    }
  });
});
