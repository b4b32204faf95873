import type { Clock } from '../clock.ts';
import type { Random } from '../random.ts';
import type { ClusterConfig } from '../config/schema.ts';
import { Host } from '../host/host.ts';
import { HostSet } from '../host/host-set.ts';
import { ACTIVE_HC_FLAGS, describeFlags } from '../host/health-flag.ts';
import { OutlierDetector } from '../outlier/outlier-detector.ts';
import { resolveOutlierConfig } from '../outlier/outlier-config.ts';
import { LocalOriginResult } from '../outlier/ejection-type.ts';
import { HealthChecker } from '../health/health-checker.ts';
import { resolveHealthCheckConfig, type HealthCheckConfig } from '../health/health-check-config.ts';
import type { Probe } from '../health/probe.ts';
import { ClusterLimits, DEFAULT_RETRY_BUDGET, THRESHOLD_DEFAULTS, type ThresholdsConfig } from '../limits/resource-limits.ts';
import { LoadBalancer, type LoadBalancerConfig, type PickResult } from '../load-balancer/load-balancer.ts';
import { hasUntriedHost } from '../load-balancer/host-source.ts';
import { emptyRetryStats, type RetryStats } from '../retry/retry-state.ts';
import { ResetKind } from '../retry/retry-on.ts';

/** Builds the health probe for a cluster's check config; the gateway supplies real HTTP/TCP probes. */
export type ProbeFactory = (cluster: ClusterConfig) => Probe;

export interface EngineDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly probeFactory?: ProbeFactory | undefined;
  /**
   * Told once per cluster when it first gets traffic. Worker processes have no health checker of
   * their own (the primary runs it); this is how the primary's checker learns to leave its
   * no-traffic interval.
   */
  readonly onFirstTraffic?: ((cluster: string) => void) | undefined;
}

/** What the admin API's `/clusters` shows per host. */
export interface HostStatus {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly health_flags: string;
  readonly healthy: boolean;
  readonly active_requests: number;
  readonly ejected: boolean;
  readonly ejected_for: string | null;
  readonly ejection_count: number;
  readonly ejection_time_left_ms: number;
  readonly success_rate: number;
  readonly local_origin_success_rate: number;
  readonly stats: Host['stats'];
}

function lbConfig(c: ClusterConfig): LoadBalancerConfig {
  return { lb_policy: c.lb_policy, healthy_panic_threshold: c.healthy_panic_threshold, choice_count: c.least_request_choice_count };
}

function thresholds(c: ClusterConfig, priority: 'default' | 'high'): ThresholdsConfig {
  const t = c.circuit_breakers.thresholds.find(x => x.priority === priority);
  if (!t) return THRESHOLD_DEFAULTS;
  return {
    max_connections: t.max_connections,
    max_pending_requests: t.max_pending_requests,
    max_requests: t.max_requests,
    max_retries: t.max_retries ?? THRESHOLD_DEFAULTS.max_retries,
    // An explicit max_retries means Envoy's fixed limit; with neither, Brownout's default budget.
    retry_budget: t.retry_budget ?? (t.max_retries === undefined ? DEFAULT_RETRY_BUDGET : undefined),
  };
}

function hcConfig(c: ClusterConfig): HealthCheckConfig | undefined {
  const h = c.health_checks[0];
  if (!h) return undefined;
  return resolveHealthCheckConfig({
    timeout: h.timeout,
    interval: h.interval,
    initial_jitter: h.initial_jitter,
    interval_jitter: h.interval_jitter,
    interval_jitter_percent: h.interval_jitter_percent,
    unhealthy_threshold: h.unhealthy_threshold,
    healthy_threshold: h.healthy_threshold,
    no_traffic_interval: h.no_traffic_interval,
    ...(h.no_traffic_healthy_interval !== undefined && { no_traffic_healthy_interval: h.no_traffic_healthy_interval }),
    ...(h.unhealthy_interval !== undefined && { unhealthy_interval: h.unhealthy_interval }),
    ...(h.unhealthy_edge_interval !== undefined && { unhealthy_edge_interval: h.unhealthy_edge_interval }),
    ...(h.healthy_edge_interval !== undefined && { healthy_edge_interval: h.healthy_edge_interval }),
    expected_statuses: h.http_health_check?.expected_statuses ?? [{ start: 200, end: 201 }],
    retriable_statuses: h.http_health_check?.retriable_statuses ?? [],
    ignore_new_hosts_until_first_hc: h.ignore_new_hosts_until_first_hc,
  });
}

/**
 * One upstream cluster: its hosts, load balancer, outlier detector, active health checker and
 * limits, wired together (a passing active check un-ejects; traffic leaves no_traffic_interval).
 */
export class ClusterRuntime {
  readonly name: string;
  readonly hostSet: HostSet;
  readonly lb: LoadBalancer;
  readonly limits: ClusterLimits;
  readonly outlier: OutlierDetector | undefined;
  readonly healthChecker: HealthChecker | undefined;
  readonly retryStats: RetryStats = emptyRetryStats();
  private cfg: ClusterConfig;
  private trafficSeen = false;
  private readonly firstTraffic: ((cluster: string) => void) | undefined;

  constructor(cfg: ClusterConfig, deps: EngineDeps) {
    this.name = cfg.name;
    this.cfg = cfg;
    this.hostSet = new HostSet(cfg.hosts.map(h => new Host(h)));
    this.firstTraffic = deps.onFirstTraffic;
    this.lb = new LoadBalancer(this.hostSet, lbConfig(cfg), deps.random);
    this.limits = new ClusterLimits(thresholds(cfg, 'default'), thresholds(cfg, 'high'));
    this.outlier = cfg.outlier_detection
      ? new OutlierDetector(this.hostSet, resolveOutlierConfig(cfg.outlier_detection), deps.clock, deps.random)
      : undefined;
    const hc = hcConfig(cfg);
    if (hc && deps.probeFactory) {
      this.healthChecker = new HealthChecker(this.hostSet, hc, deps.probeFactory(cfg), deps.clock, deps.random);
      const outlier = this.outlier;
      if (outlier) this.healthChecker.onResult(e => { outlier.onActiveHealthCheck(e.host, e.passed); });
    }
  }

  get config(): ClusterConfig {
    return this.cfg;
  }

  start(): void {
    this.outlier?.start();
    this.healthChecker?.start();
  }

  stop(): void {
    this.outlier?.stop();
    this.healthChecker?.stop();
  }

  /** True when `next` keeps the same hosts, so state can be kept across a reload. */
  sameHosts(next: ClusterConfig): boolean {
    if (next.hosts.length !== this.hostSet.hosts.length) return false;
    return next.hosts.every((h, i) => {
      const cur = this.hostSet.hosts[i]!;
      return cur.address === h.address && cur.port === h.port && cur.weight === h.weight;
    });
  }

  /** Applies a reloaded config in place (only valid when `sameHosts(next)`): health state survives. */
  update(next: ClusterConfig): void {
    this.cfg = next;
    this.lb.updateConfig(lbConfig(next));
    this.limits.default.updateConfig(thresholds(next, 'default'));
    this.limits.high.updateConfig(thresholds(next, 'high'));
    if (this.outlier && next.outlier_detection) this.outlier.updateConfig(resolveOutlierConfig(next.outlier_detection));
    const hc = hcConfig(next);
    if (this.healthChecker && hc) this.healthChecker.updateConfig(hc);
  }

  pick(avoid?: readonly Host[], maxAttempts = 1): PickResult {
    if (!this.trafficSeen) {
      this.trafficSeen = true;
      this.firstTraffic?.(this.name);
      this.healthChecker?.markTraffic();
    }
    return this.lb.pick(avoid, maxAttempts);
  }

  /**
   * Worker processes: active health checking runs once, in the primary, and its verdicts land here
   * (the host's active-check flags, then the outlier detector's un-eject rule). Returns false for a
   * host this cluster does not have (a reload in between).
   */
  applyActiveHealthCheck(hostId: string, passed: boolean, flags: number): boolean {
    const host = this.hostSet.hosts.find(h => h.id === hostId);
    if (!host) return false;
    host.assign(ACTIVE_HC_FLAGS, flags);
    this.outlier?.onActiveHealthCheck(host, passed);
    return true;
  }

  /** Whether a retry that avoids `tried` has another host to go to (see hasUntriedHost). */
  hasUntriedHost(tried: readonly Host[]): boolean {
    return hasUntriedHost(this.hostSet, this.cfg.healthy_panic_threshold, tried);
  }

  /** An attempt got final response headers. */
  recordResponse(host: Host, status: number): void {
    host.stats.rq_total++;
    if (status >= 500) host.stats.rq_error++;
    else host.stats.rq_success++;
    this.outlier?.putHttpResponseCode(host, status);
  }

  /** The connection to `host` came up (resets the local-origin counter in split mode). */
  recordConnected(host: Host): void {
    this.outlier?.putResult(host, LocalOriginResult.ConnectSuccess);
  }

  /** An attempt ended without response headers. Never call this for a limits overflow. */
  recordReset(host: Host, kind: ResetKind): void {
    host.stats.rq_total++;
    host.stats.rq_error++;
    if (kind === ResetKind.ConnectFailure) {
      host.stats.cx_connect_fail++;
      this.outlier?.putResult(host, LocalOriginResult.ConnectFailed);
    } else if (kind === ResetKind.PerTryTimeout) {
      host.stats.rq_timeout++;
      this.outlier?.putResult(host, LocalOriginResult.Timeout);
    } else {
      this.outlier?.putResult(host, LocalOriginResult.ConnectFailed);
    }
  }

  hostStatuses(): HostStatus[] {
    return this.hostSet.hosts.map(h => {
      const o = this.outlier?.hostState(h);
      return {
        address: h.address,
        port: h.port,
        weight: h.weight,
        health_flags: describeFlags(h.flags),
        healthy: h.health() !== 'unhealthy',
        active_requests: h.activeRequests,
        ejected: o?.ejected ?? false,
        ejected_for: o?.ejectedFor ?? null,
        ejection_count: o?.numEjections ?? 0,
        // Integer milliseconds: the admin API and the fleet status never print float noise.
        ejection_time_left_ms: Math.round(o?.ejectionTimeLeftMs ?? 0),
        success_rate: o?.successRate ?? -1,
        local_origin_success_rate: o?.localOriginSuccessRate ?? -1,
        stats: { ...h.stats },
      };
    });
  }
}
