import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { LookupFunction } from 'node:net';

/**
 * Judge0's `callback_url`: where a finished submission is sent with an HTTP PUT, as Judge0 does (the
 * outbox decides when and how often). Only hosts the operator listed are allowed, and the address a
 * name resolves to is checked at connect time (not only when the URL is accepted), so a name that
 * later resolves to a private address cannot turn callbacks into requests inside the cluster.
 */

export interface CallbackOptions {
  /** Host names allowed (`hooks.example.com`, or `*.example.com` for its subdomains). */
  readonly hosts: readonly string[];
  /** Whether loopback, private, link-local and other non-public addresses may be reached. */
  readonly allowPrivate: boolean;
  /** Timeout of one try. Default 5 s (Judge0's `callbacks_timeout`). */
  readonly timeoutMs?: number;
}

/** Addresses no callback reaches unless the operator allows private ones. */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NON_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return !NON_PUBLIC.check(mapped[1]!, 'ipv4');
  return !NON_PUBLIC.check(address, 'ipv6');
}

export class CallbackError extends Error {
  override readonly name = 'CallbackError';
}

export class CallbackSender {
  private readonly closing = new AbortController();
  readonly timeoutMs: number;

  constructor(private readonly options: CallbackOptions) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  get enabled(): boolean {
    return this.options.hosts.length > 0;
  }

  /** Why a callback URL is refused, in Judge0's words of a field error; null when it is allowed. */
  check(url: string): string | null {
    if (!this.enabled) return 'callbacks are not allowed';
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'is not a valid URL';
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
    if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials';
    const host = parsed.hostname.toLowerCase();
    const allowed = this.options.hosts.some((h) =>
      h.startsWith('*.') ? host.endsWith(h.slice(1)) && host.length > h.length - 1 : host === h,
    );
    if (!allowed) return `host ${host.slice(0, 64)} is not allowed`;
    const literal = host.replace(/^\[|\]$/g, '');
    if (isIP(literal) !== 0 && !this.options.allowPrivate && !isPublicAddress(literal))
      return 'must not name a private address';
    return null;
  }

  private lookup(): LookupFunction {
    const allowPrivate = this.options.allowPrivate;
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, '', 4);
        const usable = allowPrivate ? addresses : addresses.filter((a) => isPublicAddress(a.address));
        if (usable.length === 0)
          return callback(new CallbackError(`${hostname} resolves to no public address`), '', 4);
        // With autoSelectFamily, net asks for every address; otherwise for one.
        if (options.all === true) return callback(null, usable);
        return callback(null, usable[0]!.address, usable[0]!.family);
      });
    };
  }

  /** One PUT of `body` to `url`; rejects unless the answer is 2xx within the timeout. */
  send(url: string, body: string): Promise<void> {
    const target = new URL(url);
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) !== 0 && !this.options.allowPrivate && !isPublicAddress(literal))
      return Promise.reject(new CallbackError('the callback names a private address'));
    const client = target.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.request(
        target,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          lookup: this.lookup(),
          timeout: this.timeoutMs,
          signal: this.closing.signal,
        },
        (response) => {
          response.resume();
          const code = response.statusCode ?? 0;
          if (code >= 200 && code < 300) resolve();
          else reject(new CallbackError(`the callback answered ${code}`));
        },
      );
      request.once('timeout', () => request.destroy(new CallbackError('the callback timed out')));
      request.once('error', reject);
      request.end(body);
    });
  }

  /** Abandons requests in flight. Safe to call more than once. */
  close(): void {
    this.closing.abort();
  }
}
