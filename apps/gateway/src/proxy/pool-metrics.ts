import { Gauge, type Registry } from 'prom-client';

/** Upstream connections from undici's pool stats (open, and idle among them), read at scrape time. */
export function registerPoolGauge(registry: Registry, pools: () => Iterable<{ cluster: string; host: string; connected: number; free: number }>): void {
  new Gauge({
    name: 'brownout_upstream_connections',
    help: 'Open upstream connections by cluster, host and state (active: carrying a request; idle: kept alive for the next one)',
    labelNames: ['cluster', 'host', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of pools()) {
        this.labels(p.cluster, p.host, 'idle').set(p.free);
        this.labels(p.cluster, p.host, 'active').set(Math.max(0, p.connected - p.free));
      }
    },
  });
}
