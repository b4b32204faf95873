import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { GatewayConfig } from '@brownout/core/config';

type Family = GatewayConfig['clusters'][number]['dns_lookup_family'];
type Lookup = (name: string) => Promise<{ address: string; family: number }[]>;

/** Addresses a name expands to under Envoy's lookup-family rule. */
export function pickFamily(addrs: readonly { address: string; family: number }[], family: Family): string[] {
  const v4 = addrs.filter(a => a.family === 4).map(a => a.address);
  const v6 = addrs.filter(a => a.family === 6).map(a => a.address);
  switch (family) {
    case 'V4_ONLY':
      return v4;
    case 'V6_ONLY':
      return v6;
    case 'ALL':
      return [...v4, ...v6];
    case 'V4_PREFERRED':
      return v4.length > 0 ? v4 : v6;
  }
}

/**
 * Expands hosts given by name into one host per resolved address (Envoy's STRICT_DNS), keeping
 * port and weight. Literal IPs pass through. A name that fails to resolve keeps the addresses it
 * had last time (`previous`), so a DNS hiccup never empties a cluster; with no previous answer
 * the name itself stays and undici resolves it per connection.
 */
export async function resolveConfig(
  cfg: GatewayConfig,
  previous: ReadonlyMap<string, string[]>,
  resolve: Lookup = name => lookup(name, { all: true }),
): Promise<{ config: GatewayConfig; answers: Map<string, string[]>; unresolved: string[] }> {
  const answers = new Map<string, string[]>();
  /** Clusters none of whose host names resolved in this round (an answer kept from before does not count). */
  const unresolved: string[] = [];
  const clusters = await Promise.all(
    cfg.clusters.map(async c => {
      const hosts: GatewayConfig['clusters'][number]['hosts'] = [];
      let named = 0;
      let resolved = 0;
      for (const h of c.hosts) {
        if (isIP(h.address) !== 0) {
          hosts.push(h);
          continue;
        }
        named++;
        let addrs: string[] | undefined;
        try {
          addrs = pickFamily(await resolve(h.address), c.dns_lookup_family);
        } catch {
          addrs = undefined;
        }
        if (addrs && addrs.length > 0) resolved++;
        if (!addrs || addrs.length === 0) addrs = previous.get(h.address);
        if (!addrs || addrs.length === 0) {
          hosts.push(h);
          continue;
        }
        answers.set(h.address, addrs);
        for (const a of [...new Set(addrs)].sort()) {
          if (!hosts.some(x => x.address === a && x.port === h.port)) hosts.push({ ...h, address: a });
        }
      }
      if (named > 0 && resolved === 0) unresolved.push(c.name);
      return { ...c, hosts };
    }),
  );
  return { config: { ...cfg, clusters }, answers, unresolved };
}
