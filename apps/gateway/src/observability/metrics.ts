import { GrpcStatus } from '@brownout/core';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { FastHistogram, type HistogramSeries } from './fast-histogram.ts';
import { registerEngineGauges } from './engine-gauges.ts';
import type { Engine } from '@brownout/core';

const STATUS_CLASS = ['1xx', '2xx', '3xx', '4xx', '5xx'];
/** gRPC status names for the `grpc_status` label (Envoy's stats use the codes; names read better on a dashboard). */
const GRPC_STATUS_LABELS = Object.keys(GrpcStatus);
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
 * The request path's Prometheus metrics, and the registry every subsystem's own metric set registers
 * on (switches, upgrades, the HTTP/2 guard, DNS, pools, cache, limiters: each beside its subsystem,
 * recorded through that set's methods). What every request touches is plain numbers (a status-class array per route
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
  private readonly grpcResponses: Counter<'route' | 'grpc_status'>;
  private readonly degraded: Counter<'route' | 'mode' | 'reason' | 'shadow'>;
  private readonly localErrors: Counter<'route' | 'code'>;
  private readonly callerTimeouts: Counter<'route'>;
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
    this.grpcResponses = new Counter({ name: 'brownout_grpc_responses_total', help: 'gRPC calls answered, by the gRPC status the client got (upstream or the gateway\'s own)', labelNames: ['route', 'grpc_status'], registers });
    this.localReplies = new Counter({ name: 'brownout_local_replies_total', help: 'Replies made by the gateway itself, by response flag', labelNames: ['route', 'flag'], registers });
    this.degraded = new Counter({ name: 'brownout_degraded_responses_total', help: 'Degraded answers by route, mode and reason (shadow: would have degraded)', labelNames: ['route', 'mode', 'reason', 'shadow'], registers });
    this.localErrors = new Counter({ name: 'brownout_local_errors_total', help: "Requests the gateway failed itself before any upstream was involved (never charged to a host)", labelNames: ['route', 'code'], registers });
    this.callerTimeouts = new Counter({ name: 'brownout_caller_deadline_timeouts_total', help: "504s caused by the caller's own x-brownout-deadline-ms (never charged to a host)", labelNames: ['route'], registers });
    registerEngineGauges(registers, engine);
  }

  grpcResponse(route: string, grpcStatus: number): void {
    this.grpcResponses.labels(route, GRPC_STATUS_LABELS[grpcStatus] ?? String(grpcStatus)).inc();
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

  localReply(route: string, flag: string): void {
    this.localReplies.labels(route, flag).inc();
  }
}
