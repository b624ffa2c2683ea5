import { describe, expect, it } from 'vitest';
import { CallbackSender, isPublicAddress } from './callbacks.js';

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['2606:4700::1111', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.20.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['not-an-ip', false],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('CallbackSender.check', () => {
  const sender = new CallbackSender({
    hosts: ['hooks.example.com', '*.example.org', '10.0.0.5'],
    allowPrivate: false,
  });

  it.each([
    ['https://hooks.example.com/judge0', null],
    ['http://a.b.example.org/x', null],
    ['https://example.org/x', 'host example.org is not allowed'],
    ['https://evil.com/x', 'host evil.com is not allowed'],
    ['https://hooks.example.com.evil.com/x', 'host hooks.example.com.evil.com is not allowed'],
    ['ftp://hooks.example.com/x', 'must be an http or https URL'],
    ['https://user:pw@hooks.example.com/x', 'must not carry credentials'],
    ['http://10.0.0.5/x', 'must not name a private address'],
    ['not a url', 'is not a valid URL'],
  ])('%s: %s', (url, problem) => {
    expect(sender.check(url)).toBe(problem);
  });

  it('refuses every callback when no host is configured', () => {
    const off = new CallbackSender({ hosts: [], allowPrivate: false });
    expect(off.enabled).toBe(false);
    expect(off.check('https://hooks.example.com/x')).toBe('callbacks are not allowed');
  });
});
