import { Counter, Gauge, type Registry } from 'prom-client';

/** Protocol upgrades: tunnels opened by route and type, and how many are open now (Envoy's downstream_cx_upgrades_*). */
export class UpgradeMetrics {
  private readonly upgrades: Counter<'route' | 'upgrade_type'>;

  constructor(registry: Registry, active: () => number) {
    const registers = [registry];
    this.upgrades = new Counter({ name: 'brownout_upgrades_total', help: 'Protocol upgrades (WebSocket, …) tunnelled to an upstream, by route and upgrade type', labelNames: ['route', 'upgrade_type'], registers });
    new Gauge({
      name: 'brownout_upgrades_active',
      help: 'Upgraded connections (tunnels) open now, handshakes included',
      aggregator: 'sum',
      registers,
      collect() {
        this.set(active());
      },
    });
  }

  /** A tunnel opened (101 from the upstream). */
  upgraded(route: string, type: string): void {
    this.upgrades.labels(route, type).inc();
  }
}
