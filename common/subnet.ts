import { BlockList, isIP } from 'node:net';

/** An IP subnet in CIDR notation, such as `10.231.0.0/20`. */
export interface Subnet {
  /** As written, for messages. */
  readonly text: string;
  readonly network: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

export class InvalidSubnet extends Error {
  override readonly name = 'InvalidSubnet';
}

export function parseSubnet(text: string): Subnet {
  const match = /^\s*([0-9A-Fa-f.:]+)\/(\d{1,3})\s*$/.exec(text);
  const network = match?.[1] ?? '';
  const version = isIP(network);
  if (!match || version === 0)
    throw new InvalidSubnet(`must be a subnet such as 10.231.0.0/20, not "${text}"`);
  const prefix = Number(match[2]);
  const bits = version === 4 ? 32 : 128;
  if (prefix > bits) throw new InvalidSubnet(`has a prefix longer than ${bits} bits: "${text}"`);
  return { text: `${network}/${prefix}`, network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function subnetContains(subnet: Subnet, address: string): boolean {
  const version = isIP(address);
  if (version !== (subnet.family === 'ipv4' ? 4 : 6)) return false;
  const list = new BlockList();
  list.addSubnet(subnet.network, subnet.prefix, subnet.family);
  return list.check(address, subnet.family);
}
