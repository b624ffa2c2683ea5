import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseSubnet } from '../../common/subnet.js';
import { NoAddressInSubnet, SeveralAddressesInSubnet, addressInSubnet } from './metrics-address.js';

/** os.networkInterfaces()'s shape, from `name: address` pairs; only the address is read. */
function interfaces(
  list: Record<string, readonly string[]>,
): Record<string, readonly NetworkInterfaceInfo[]> {
  return Object.fromEntries(
    Object.entries(list).map(([name, addresses]) => [
      name,
      addresses.map(
        (address) =>
          ({
            address,
            netmask: address.includes(':') ? 'ffff:ffff:ffff:ffff::' : '255.255.255.0',
            family: address.includes(':') ? 'IPv6' : 'IPv4',
            mac: '02:42:0a:00:00:02',
            internal: name === 'lo',
            cidr: null,
            ...(address.includes(':') ? { scopeid: 0 } : {}),
          }) as NetworkInterfaceInfo,
      ),
    ]),
  );
}

/** A Swarm task on the backend overlay (eth0), the monitoring overlay (eth1) and docker_gwbridge (eth2). */
const swarmTask = interfaces({
  lo: ['127.0.0.1', '::1'],
  eth0: ['10.0.1.7'],
  eth1: ['10.231.0.12'],
  eth2: ['172.18.0.5'],
});

describe('addressInSubnet', () => {
  it.each([
    ['the monitoring overlay of a Swarm task', '10.231.0.0/20', swarmTask, '10.231.0.12'],
    ['a subnet whose network address has host bits set', '10.231.0.99/24', swarmTask, '10.231.0.12'],
    ['the backend overlay, when that is the one named', '10.0.1.0/24', swarmTask, '10.0.1.7'],
    ['loopback, when a test names it', '127.0.0.0/8', swarmTask, '127.0.0.1'],
    ['an IPv6 subnet', 'fd00:231::/64', interfaces({ eth0: ['10.0.1.7', 'fd00:231::5'] }), 'fd00:231::5'],
    [
      'the same address listed on two interfaces',
      '10.231.0.0/20',
      interfaces({ eth1: ['10.231.0.12'], br0: ['10.231.0.12'] }),
      '10.231.0.12',
    ],
  ])('finds the address on %s', (_case, subnet, found, expected) => {
    expect(addressInSubnet(parseSubnet(subnet), found)).toBe(expected);
  });

  it('names the subnet and every address the task has when no interface is in it', () => {
    const off = interfaces({ lo: ['127.0.0.1'], eth0: ['10.0.1.7'] });
    expect(() => addressInSubnet(parseSubnet('10.231.0.0/20'), off)).toThrow(NoAddressInSubnet);
    expect(() => addressInSubnet(parseSubnet('10.231.0.0/20'), off)).toThrow(
      'EXECUTOR_METRICS_SUBNET: no interface has an address in 10.231.0.0/20 (addresses: 127.0.0.1, 10.0.1.7)',
    );
  });

  it('does not match an IPv4 subnet against IPv6 addresses, nor the reverse', () => {
    const v6 = interfaces({ eth0: ['fd00::a00:10c'] });
    expect(() => addressInSubnet(parseSubnet('10.0.0.0/8'), v6)).toThrow(NoAddressInSubnet);
    expect(() => addressInSubnet(parseSubnet('::/0'), interfaces({ eth0: ['10.0.1.7'] }))).toThrow(
      NoAddressInSubnet,
    );
  });

  it('says "none" when the task has no interface at all', () => {
    expect(() => addressInSubnet(parseSubnet('10.231.0.0/20'), {})).toThrow('(addresses: none)');
  });

  it('refuses to choose between two addresses in the subnet', () => {
    const two = interfaces({ eth1: ['10.231.0.12'], eth3: ['10.231.0.40'] });
    expect(() => addressInSubnet(parseSubnet('10.231.0.0/20'), two)).toThrow(SeveralAddressesInSubnet);
    expect(() => addressInSubnet(parseSubnet('10.231.0.0/20'), two)).toThrow(
      'several addresses are in 10.231.0.0/20: 10.231.0.12, 10.231.0.40',
    );
  });
});

describe('parseSubnet', () => {
  it.each([
    ['10.231.0.0/20', { network: '10.231.0.0', prefix: 20, family: 'ipv4' }],
    [' 10.231.0.0/20 ', { text: '10.231.0.0/20' }],
    ['0.0.0.0/0', { prefix: 0 }],
    ['fd00:231::/64', { network: 'fd00:231::', prefix: 64, family: 'ipv6' }],
  ])('reads %j', (text, expected) => {
    expect(parseSubnet(text)).toMatchObject(expected);
  });

  it.each([
    ['10.231.0.0', 'must be a subnet such as 10.231.0.0/20, not "10.231.0.0"'],
    ['10.231.0/20', 'must be a subnet'],
    ['300.1.1.1/8', 'must be a subnet'],
    ['monitoring', 'must be a subnet'],
    ['10.231.0.0/33', 'has a prefix longer than 32 bits'],
    ['fd00::/129', 'has a prefix longer than 128 bits'],
  ])('refuses %j', (text, message) => {
    expect(() => parseSubnet(text)).toThrow(message);
  });
});
