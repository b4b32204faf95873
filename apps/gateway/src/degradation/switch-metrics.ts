import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The switches' metrics, owned by SwitchControl: documents refused, version regressions, unknown
 * routes, and the version, connectivity and staleness read at scrape time. With worker processes
 * the primary sums every worker's metrics; the state gauges say how they combine instead: the
 * oldest version and the worst connectivity and staleness of any worker.
 */
export class SwitchMetrics {
  private readonly invalid: Counter<'source'>;
  private readonly regressions: Counter;
  private readonly unknown: Counter;

  constructor(registry: Registry, store: { readonly version: number }, sync: { readonly connected: boolean; stalenessMs(): number } | undefined) {
    const registers = [registry];
    this.invalid = new Counter({ name: 'brownout_switch_errors_total', help: 'Switch documents rejected as invalid', labelNames: ['source'], registers });
    this.regressions = new Counter({ name: 'brownout_switch_version_regressions_total', help: 'Times Redis held an older switch version than this gateway enforces (key lost, failover)', registers });
    this.unknown = new Counter({ name: 'brownout_switch_unknown_routes_total', help: 'Route names in a switch document that this gateway does not know', registers });
    new Gauge({
      name: 'brownout_switches_version',
      aggregator: 'min',
      help: 'Version of the switch document in force',
      registers,
      collect() {
        this.set(store.version);
      },
    });
    if (!sync) return;
    new Gauge({
      name: 'brownout_switch_store_connected',
      aggregator: 'min',
      help: '1 while Redis answers',
      registers,
      collect() {
        this.set(sync.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'brownout_switches_staleness_seconds',
      aggregator: 'max',
      help: 'Seconds since the switches were last read from Redis (-1: never)',
      registers,
      collect() {
        const s = sync.stalenessMs();
        this.set(Number.isFinite(s) ? s / 1000 : -1);
      },
    });
  }

  /** The switch document could not be read (`source`: where from). */
  documentRefused(source: string): void {
    this.invalid.labels(source).inc();
  }

  /** Redis held an older switch version than this gateway enforces (a restart that lost data). */
  versionRegression(): void {
    this.regressions.inc();
  }

  /** Route overrides in the switch document for routes this config does not have. */
  unknownRoutes(n: number): void {
    this.unknown.inc(n);
  }
}

/** Routes automatically degraded on this instance (breaker, rule, no healthy host), read at scrape time. */
export function registerAutomaticDegradationGauge(registry: Registry, current: () => readonly { route: string; reason: string }[]): void {
  new Gauge({
    name: 'brownout_auto_degraded',
    aggregator: 'max',
    help: '1 while a route is automatically degraded on this instance, by reason',
    labelNames: ['route', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of current()) this.labels(a.route, a.reason).set(1);
    },
  });
}
