import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastHistogram, type HistogramSeries } from './fast-histogram.ts';
import { registerEngineGauges } from './engine-gauges.ts';
import type { Engine, FailOpenStats } from '@brownout/core';

const STATUS_CLASS = ['1xx', '2xx', '3xx', '4xx', '5xx'];
function statusClass(status: number): string {
  return STATUS_CLASS[Math.floor(status / 100) - 1] ?? 'other';
}
/** Scrape-time copy of a by-class array into a counter whose last label is `status_class`. */
function incByClass<T extends string>(counter: Counter<T>, counts: Float64Array, ...labels: string[]): void {
  for (let cls = 1; cls < counts.length; cls++) if (counts[cls]! > 0) counter.labels(...labels, statusClass(cls * 100)).inc(counts[cls]);
}
/** Slot of a status in a by-class array: 1..5 for 1xx..5xx, 6 for anything else. */
function classIndex(status: number): number {
  const c = Math.floor(status / 100);
  return c >= 1 && c <= 5 ? c : 6;
}

/**
 * Prometheus metrics. What every request touches is plain numbers (a status-class array per route
 * and per host, a bucket array per route), bumped without hashing label sets, and handed to
 * prom-client at scrape time; prom-client's own per-call label hashing cost more than the whole
 * engine. Everything the engine already counts (ejections, overflows, health checks, retries,
 * breaker state) is read from the engine at scrape time too (engine-gauges.ts).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly duration: FastHistogram;
  private readonly upstreamTime: FastHistogram;
  private readonly resets: Counter<'cluster' | 'host' | 'kind'>;
  private readonly retries: Counter<'cluster'>;
  private readonly localReplies: Counter<'route' | 'flag'>;
  private readonly degraded: Counter<'route' | 'mode' | 'reason' | 'shadow'>;
  private readonly upgrades: Counter<'route' | 'upgrade_type'>;
  private readonly switchErrors: Counter<'source'>;
  private readonly localErrors: Counter<'route' | 'code'>;
  private readonly callerTimeouts: Counter<'route'>;
  private readonly switchVersionRegressions: Counter;
  private readonly switchUnknownRoutesTotal: Counter;
  private readonly http2Abuse: Counter;
  private readonly abusiveClientsRefused: Counter;
  private readonly dnsFailures: Counter<'cluster'>;
  /** Per cluster, per `address:port`: upstream responses by status class (index = status / 100). */
  private readonly hostCounts = new Map<string, Map<string, Float64Array>>();
  /** Per route: requests by status class (index = status / 100) and the duration series. */
  private readonly routeStats = new Map<string, { counts: Float64Array; duration: HistogramSeries; degraded: number }>();

  /** Requests per route by status class since start, for the fleet status. */
  routeCounts(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [route, m] of this.routeStats) {
      out[route] = { '2xx': m.counts[2]!, '3xx': m.counts[3]!, '4xx': m.counts[4]!, '5xx': m.counts[5]! };
    }
    return out;
  }
  constructor(engine: () => Engine) {
    const registers = [this.registry];
    // Node's process metrics under their usual names (process_*, nodejs_*), so stock Node.js
    // dashboards work; prom-client's three *_total gauges break Prometheus naming (a gauge must not
    // end in _total) and repeat the labelled gauges beside them, so they are left out.
    collectDefaultMetrics({ register: this.registry });
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(n);
    const routeStats = this.routeStats;
    const hostCounts = this.hostCounts;
    new Counter({
      name: 'brownout_requests_total',
      help: 'Client requests by route and status class',
      labelNames: ['route', 'status_class'],
      registers,
      collect() {
        this.reset();
        for (const [route, m] of routeStats) incByClass(this, m.counts, route);
      },
    });
    this.duration = new FastHistogram({
      name: 'brownout_request_duration_seconds',
      help: 'Client request duration by route',
      label: 'route',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registry: this.registry,
    });
    this.upstreamTime = new FastHistogram({
      name: 'brownout_upstream_response_time_seconds',
      help: 'Time from dispatching an upstream attempt to its response headers, by cluster (per host would multiply the series by the host count)',
      label: 'cluster',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registry: this.registry,
    });
    new Counter({
      name: 'brownout_upstream_requests_total',
      help: 'Upstream attempts that got response headers',
      labelNames: ['cluster', 'host', 'status_class'],
      registers,
      collect() {
        this.reset();
        for (const [cluster, hosts] of hostCounts) {
          for (const [host, counts] of hosts) incByClass(this, counts, cluster, host);
        }
      },
    });
    this.resets = new Counter({ name: 'brownout_upstream_resets_total', help: 'Upstream attempts that ended without response headers', labelNames: ['cluster', 'host', 'kind'], registers });
    this.retries = new Counter({ name: 'brownout_retries_total', help: 'Retries started', labelNames: ['cluster'], registers });
    this.localReplies = new Counter({ name: 'brownout_local_replies_total', help: 'Replies made by the gateway itself, by response flag', labelNames: ['route', 'flag'], registers });
    this.degraded = new Counter({ name: 'brownout_degraded_responses_total', help: 'Degraded answers by route, mode and reason (shadow: would have degraded)', labelNames: ['route', 'mode', 'reason', 'shadow'], registers });
    this.switchErrors = new Counter({ name: 'brownout_switch_errors_total', help: 'Switch documents rejected as invalid', labelNames: ['source'], registers });
    this.localErrors = new Counter({ name: 'brownout_local_errors_total', help: "Requests the gateway failed itself before any upstream was involved (never charged to a host)", labelNames: ['route', 'code'], registers });
    this.callerTimeouts = new Counter({ name: 'brownout_caller_deadline_timeouts_total', help: "504s caused by the caller's own x-brownout-deadline-ms (never charged to a host)", labelNames: ['route'], registers });
    this.switchVersionRegressions = new Counter({ name: 'brownout_switch_version_regressions_total', help: 'Times Redis held an older switch version than this gateway enforces (key lost, failover)', registers });
    this.switchUnknownRoutesTotal = new Counter({ name: 'brownout_switch_unknown_routes_total', help: 'Route names in a switch document that this gateway does not know', registers });
    this.upgrades = new Counter({ name: 'brownout_upgrades_total', help: 'Protocol upgrades (WebSocket, …) tunnelled to an upstream, by route and upgrade type', labelNames: ['route', 'upgrade_type'], registers });
    this.http2Abuse = new Counter({ name: 'brownout_downstream_http2_sessions_closed_total', help: 'Client HTTP/2 sessions the gateway closed for abuse (GOAWAY ENHANCE_YOUR_CALM), by reason', labelNames: ['reason'], registers });
    this.abusiveClientsRefused = new Counter({ name: 'brownout_downstream_connections_refused_total', help: 'Client connections closed at accept because the client address is in the abusive-client penalty box (listener.http2_protocol_options.abusive_client_penalty)', registers });
    this.dnsFailures = new Counter({ name: 'brownout_dns_cluster_unresolved_total', help: 'DNS refreshes in which no host name of a cluster resolved', labelNames: ['cluster'], registers });
    registerEngineGauges(registers, engine);
  }

  /**
   * Switch version, store connectivity and staleness, read at scrape time. With worker processes the
   * primary sums every worker's metrics; these state gauges say how they combine instead: the
   * oldest version and the worst connectivity and staleness of any worker.
   */
  watchSwitches(store: { version: number }, sync: { connected: boolean; stalenessMs(): number } | undefined): void {
    const registers = [this.registry];
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

  /** Routes automatically degraded on this instance (breaker, rule, no healthy host), read at scrape time. */
  watchAutomatic(current: () => { route: string; reason: string }[]): void {
    new Gauge({
      name: 'brownout_auto_degraded',
      aggregator: 'max',
      help: '1 while a route is automatically degraded on this instance, by reason',
      labelNames: ['route', 'reason'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const a of current()) this.labels(a.route, a.reason).set(1);
      },
    });
  }

  /** Shared (Redis) rate limiter outcomes per route, including how often it failed open. */
  watchLimiters(limiters: ReadonlyMap<string, { readonly stats: FailOpenStats }>): void {
    new Counter({
      name: 'brownout_distributed_rate_limit_total',
      help: 'Distributed rate-limit decisions: ok, over_limit, failure_mode_allowed (Redis slow or down)',
      labelNames: ['route', 'outcome'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [route, l] of limiters) for (const [k, v] of Object.entries(l.stats) as [string, number][]) this.labels(route, k).inc(v);
      },
    });
  }

  request(route: string, status: number, seconds: number, degraded: boolean): void {
    let m = this.routeStats.get(route);
    if (!m) {
      m = { counts: new Float64Array(7), duration: this.duration.for(route), degraded: 0 };
      this.routeStats.set(route, m);
    }
    m.counts[classIndex(status)]!++;
    m.duration.observe(seconds);
    if (degraded) m.degraded++;
  }

  /**
   * Per route, cumulative: degraded answers and the duration histogram's bucket counts (bounds in
   * seconds, the last bucket +Inf). The console derives degraded-answer rate and p99 from two reads.
   */
  routeDetail(): { latency_bounds_s: readonly number[]; routes: Record<string, { degraded: number; latency: number[] }> } {
    const routes: Record<string, { degraded: number; latency: number[] }> = {};
    let bounds: readonly number[] = [];
    for (const [route, m] of this.routeStats) {
      routes[route] = { degraded: m.degraded, latency: Array.from(m.duration.counts) };
      bounds = m.duration.bounds;
    }
    return { latency_bounds_s: bounds, routes };
  }

  upstreamResponse(cluster: string, host: string, status: number, seconds: number): void {
    this.upstreamTime.for(cluster).observe(seconds);
    let hosts = this.hostCounts.get(cluster);
    if (!hosts) {
      hosts = new Map();
      this.hostCounts.set(cluster, hosts);
    }
    let counts = hosts.get(host);
    if (!counts) {
      counts = new Float64Array(7);
      hosts.set(host, counts);
    }
    counts[classIndex(status)]!++;
  }

  upstreamReset(cluster: string, host: string, kind: string): void {
    this.resets.labels(cluster, host, kind).inc();
  }

  retry(cluster: string): void {
    this.retries.labels(cluster).inc();
  }

  localError(route: string, code: string): void {
    this.localErrors.labels(route, code).inc();
  }

  /** A degradation decision: answered degraded (or would have been, `shadow`), by mode and reason. */
  degradedAnswer(route: string, mode: string, reason: string, shadow: boolean): void {
    this.degraded.labels(route, mode, reason, shadow ? 'true' : 'false').inc();
  }

  /** The caller's own deadline ran out before the host's time: 504, charged to nobody. */
  callerTimeout(route: string): void {
    this.callerTimeouts.labels(route).inc();
  }

  /** The switch document could not be read (`source`: where from). */
  switchError(source: string): void {
    this.switchErrors.labels(source).inc();
  }

  /** Redis held an older switch version than this gateway enforces (a restart that lost data). */
  switchVersionRegression(): void {
    this.switchVersionRegressions.inc();
  }

  /** Route overrides in the switch document for routes this config does not have. */
  switchUnknownRoutes(n: number): void {
    this.switchUnknownRoutesTotal.inc(n);
  }

  /** An HTTP/2 session closed for abuse, by reason. */
  http2SessionClosed(reason: string): void {
    this.http2Abuse.labels(reason).inc();
  }

  /** A connection closed at accept: its client is in the abusive-client penalty box. */
  abusiveClientRefused(): void {
    this.abusiveClientsRefused.inc();
  }

  /** A cluster's DNS name did not resolve (the last good addresses stay). */
  dnsFailure(cluster: string): void {
    this.dnsFailures.labels(cluster).inc();
  }

  localReply(route: string, flag: string): void {
    this.localReplies.labels(route, flag).inc();
  }

  /** Protocol upgrades tunnelled (101 from the upstream), by route and upgrade type (Envoy's downstream_cx_upgrades_total). */
  upgrade(route: string, type: string): void {
    this.upgrades.labels(route, type).inc();
  }

  /** Open tunnels and upgrade handshakes in progress, read at scrape time (Envoy's downstream_cx_upgrades_active). */
  watchUpgrades(active: () => number): void {
    new Gauge({
      name: 'brownout_upgrades_active',
      help: 'Upgraded connections (tunnels) open now, handshakes included',
      aggregator: 'sum',
      registers: [this.registry],
      collect() {
        this.set(active());
      },
    });
  }

  /** Upstream connections from undici's pool stats (open, and idle among them), read at scrape time. */
  watchPools(pools: () => Iterable<{ cluster: string; host: string; connected: number; free: number }>): void {
    new Gauge({
      name: 'brownout_upstream_connections',
      help: 'Open upstream connections by cluster, host and state (active: carrying a request; idle: kept alive for the next one)',
      labelNames: ['cluster', 'host', 'state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of pools()) {
          this.labels(p.cluster, p.host, 'idle').set(p.free);
          this.labels(p.cluster, p.host, 'active').set(Math.max(0, p.connected - p.free));
        }
      },
    });
  }

  /** Response cache lookups by route and result, read at scrape time. */
  watchCache(cache: { readonly stats: ReadonlyMap<string, { hit: number; miss: number }> }): void {
    new Counter({
      name: 'brownout_cache_lookups_total',
      help: 'Requests that wanted a cached answer (degraded to cache, or stale-if-error) by route and result; stale answers served are brownout_degraded_responses_total{mode="cache"}',
      labelNames: ['route', 'result'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [route, s] of cache.stats) {
          this.labels(route, 'hit').inc(s.hit);
          this.labels(route, 'miss').inc(s.miss);
        }
      },
    });
  }
}
