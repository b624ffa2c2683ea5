import type { NetworkInterfaceInfo } from 'node:os';
import { subnetContains } from '../../common/subnet.js';
import type { Subnet } from '../../common/subnet.js';

/** The executor was told to serve its metrics in a subnet that none of its interfaces is in. */
export class NoAddressInSubnet extends Error {
  override readonly name = 'NoAddressInSubnet';
  constructor(
    readonly subnet: string,
    /** Every address the executor has, so that the message shows which networks it did join. */
    readonly addresses: readonly string[],
  ) {
    super(
      `EXECUTOR_METRICS_SUBNET: no interface has an address in ${subnet} (addresses: ${
        addresses.join(', ') || 'none'
      }); is the task attached to the network with that subnet?`,
    );
  }
}

/** More than one interface is in the subnet, so which one Prometheus scrapes is unclear. */
export class SeveralAddressesInSubnet extends Error {
  override readonly name = 'SeveralAddressesInSubnet';
  constructor(
    readonly subnet: string,
    readonly addresses: readonly string[],
  ) {
    super(`EXECUTOR_METRICS_SUBNET: several addresses are in ${subnet}: ${addresses.join(', ')}`);
  }
}

/**
 * The executor's own address in `subnet`, from `os.networkInterfaces()`: the address on the network that
 * only Prometheus shares with the executors, so that the metrics server listens there and not on the
 * network Redis, Postgres and the webapp share.
 */
export function addressInSubnet(
  subnet: Subnet,
  interfaces: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>,
): string {
  const all = Object.values(interfaces).flatMap((list) => (list ?? []).map((info) => info.address));
  const inside = [...new Set(all.filter((address) => subnetContains(subnet, address)))];
  if (inside.length === 0) throw new NoAddressInSubnet(subnet.text, all);
  if (inside.length > 1) throw new SeveralAddressesInSubnet(subnet.text, inside);
  return inside[0]!;
}
