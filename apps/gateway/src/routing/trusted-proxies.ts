import { BlockList, isIP } from 'node:net';

/**
 * The peers whose `x-forwarded-for` and `x-brownout-deadline-ms` are believed (Envoy believes
 * `x-envoy-*` only from internal callers): single addresses and CIDR ranges, IPv4 and IPv6,
 * matched by range with node's BlockList. Entries are validated by the config schema; IPv4-mapped
 * IPv6 peers (`::ffff:10.0.0.1`, how a dual-stack socket reports IPv4) match their IPv4 entries.
 */
export class TrustedProxies {
  readonly size: number;
  private readonly list = new BlockList();

  constructor(entries: readonly string[]) {
    this.size = entries.length;
    for (const e of entries) {
      const slash = e.indexOf('/');
      const addr = slash < 0 ? e : e.slice(0, slash);
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (slash < 0) this.list.addAddress(addr, family);
      else this.list.addSubnet(addr, Number(e.slice(slash + 1)), family);
    }
  }

  /** True when a connection's peer (as the socket reports it, possibly IPv4-mapped) is a trusted proxy. */
  trusts(remoteAddress: string | undefined): boolean {
    return this.size !== 0 && this.has(unmapped(remoteAddress ?? ''));
  }

  /** True when `address` (already unmapped, see `unmapped`) is a trusted proxy. */
  has(address: string): boolean {
    if (this.size === 0 || address === '') return false;
    const v = isIP(address);
    return v !== 0 && this.list.check(address, v === 6 ? 'ipv6' : 'ipv4');
  }
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; anything else unchanged. */
export function unmapped(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
