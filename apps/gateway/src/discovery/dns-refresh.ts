import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { timerDelay } from '@brownout/core';
import type { GatewayConfig } from '@brownout/core/config';
import { resolveConfig } from './dns-resolver.ts';
import { Counter, type Registry } from 'prom-client';

/**
 * Keeps hosts given by name expanded into their addresses (Envoy's STRICT_DNS): refreshes at the
 * shortest `dns_refresh_rate` of the clusters that use names, hands the engine a config with the
 * new host lists only when an answer changed, keeps the last answer when a lookup fails, and says
 * loudly (once, and counted on every refresh) when none of a cluster's names resolves.
 */
export class DnsRefresher {
  private readonly config: () => GatewayConfig;
  private readonly failures: Counter<'cluster'>;
  private readonly log: Logger;
  private readonly onHostsChanged: (config: GatewayConfig) => void;
  /** Last DNS answers per name, kept so a failed lookup never empties a cluster. */
  private answers = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;
  /** Clusters none of whose host names resolved at the last refresh (said once, when it starts). */
  private unresolved = new Set<string>();
  /** The host lists the engine runs with (names expanded), to notice when DNS changed them. */
  private resolvedHosts = '';

  constructor(config: () => GatewayConfig, registry: Registry, log: Logger, onHostsChanged: (config: GatewayConfig) => void) {
    this.config = config;
    this.failures = new Counter({ name: 'brownout_dns_cluster_unresolved_total', help: 'DNS refreshes in which no host name of a cluster resolved', labelNames: ['cluster'], registers: [registry] });
    this.log = log;
    this.onHostsChanged = onHostsChanged;
  }

  /** After a reload: the next refresh hands the engine its host lists even if DNS says the same. */
  forget(): void {
    this.resolvedHosts = '';
  }

  /** Resolves every name now and, when the answers changed, swaps the clusters' host lists. */
  async refresh(): Promise<void> {
    const source = this.config();
    const named = source.clusters.filter(c => c.hosts.some(h => isIP(h.address) === 0));
    if (named.length === 0) return;
    const { config, answers, unresolved } = await resolveConfig(source, this.answers);
    if (source !== this.config()) return; // a reload raced us; it schedules its own refresh
    this.answers = answers;
    for (const c of unresolved) {
      this.failures.labels(c).inc();
      if (!this.unresolved.has(c)) {
        this.log.error({ cluster: c }, 'DNS: NO host name of this cluster resolves; serving with the last answers (if any), retrying every dns_refresh_rate');
      }
    }
    for (const c of this.unresolved) if (!unresolved.includes(c)) this.log.warn({ cluster: c }, 'DNS: cluster host names resolve again');
    this.unresolved = new Set(unresolved);
    const fingerprint = JSON.stringify(config.clusters.map(c => c.hosts));
    if (fingerprint !== this.resolvedHosts) {
      this.resolvedHosts = fingerprint;
      this.onHostsChanged(config);
      this.log.info({ answers: Object.fromEntries(answers) }, 'DNS: cluster hosts updated');
    }
    if (!this.timer) {
      const every = Math.min(...named.map(c => c.dns_refresh_rate));
      this.timer = setInterval(() => void this.refresh(), timerDelay(every));
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
