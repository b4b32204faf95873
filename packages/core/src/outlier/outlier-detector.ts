import type { Cancel, Clock } from '../clock.ts';
import { Listeners } from '../events.ts';
import { randomInt, roll, type Random } from '../random.ts';
import { HealthFlag } from '../host/health-flag.ts';
import type { Host } from '../host/host.ts';
import type { HostSet } from '../host/host-set.ts';
import { EJECTION_TYPES, EjectionType, LocalOriginResult } from './ejection-type.ts';
import { FIRED_5XX, FIRED_GATEWAY, HostMonitor, type SuccessRateBuckets } from './host-monitor.ts';
import type { OutlierDetectionConfig } from './outlier-config.ts';
import { successRateThreshold } from './success-rate.ts';
import { failurePercentageVolume, othersMedianFailure } from './failure-percentage.ts';
import type { OutlierEvent, OutlierStats, HostOutlierState } from './outlier-events.ts';

export type { OutlierEvent, OutlierStats, HostOutlierState } from './outlier-events.ts';

const ENFORCING_KEY: Record<EjectionType, keyof OutlierDetectionConfig> = {
  consecutive_5xx: 'enforcing_consecutive_5xx',
  consecutive_gateway_failure: 'enforcing_consecutive_gateway_failure',
  consecutive_local_origin_failure: 'enforcing_consecutive_local_origin_failure',
  success_rate: 'enforcing_success_rate',
  local_origin_success_rate: 'enforcing_local_origin_success_rate',
  failure_percentage: 'enforcing_failure_percentage',
  local_origin_failure_percentage: 'enforcing_failure_percentage_local_origin',
};

/** Detections that judge a host by the answers it gave (as opposed to connect failures and timeouts). */
const ANSWER_EJECTIONS: ReadonlySet<EjectionType> = new Set([
  EjectionType.Consecutive5xx,
  EjectionType.ConsecutiveGatewayFailure,
  EjectionType.SuccessRate,
  EjectionType.FailurePercentage,
]);

function zeroCounts(): Record<EjectionType, number> {
  const out = {} as Record<EjectionType, number>;
  for (const t of EJECTION_TYPES) out[t] = 0;
  return out;
}

/**
 * Passive health checking with Envoy's semantics (outlier_detection_impl.cc): consecutive-error
 * detection inline on the request path; an interval sweep that un-ejects, evaluates success-rate
 * and failure-percentage, and decays the ejection back-off. Un-ejection happens only on sweep
 * ticks, so a host stays out for at least its ejection time and at most one interval longer.
 */
export class OutlierDetector {
  readonly stats: OutlierStats = {
    ejections_active: 0,
    ejections_overflow: 0,
    ejections_enforced_total: 0,
    ejections_detected: zeroCounts(),
    ejections_enforced: zeroCounts(),
  };
  /** Cluster success-rate numbers from the last sweep, -1 when not computed. */
  successRateAverage = -1;
  successRateEjectionThreshold = -1;
  localOriginSuccessRateAverage = -1;
  localOriginSuccessRateEjectionThreshold = -1;

  private readonly monitors: HostMonitor[];
  private readonly listeners = new Listeners<OutlierEvent>();
  private cancelTimer: Cancel | undefined;
  private cfg: OutlierDetectionConfig;
  private readonly hostSet: HostSet;
  private readonly clock: Clock;
  private readonly random: Random;

  constructor(hostSet: HostSet, config: OutlierDetectionConfig, clock: Clock, random: Random) {
    this.hostSet = hostSet;
    this.clock = clock;
    this.random = random;
    this.cfg = config;
    this.monitors = hostSet.hosts.map(() => new HostMonitor());
  }

  get config(): OutlierDetectionConfig {
    return this.cfg;
  }

  /** Applies a reloaded config without losing ejection state; the next sweep uses the new interval. */
  updateConfig(config: OutlierDetectionConfig): void {
    this.cfg = config;
  }

  /** Arms the interval sweep. */
  start(): void {
    if (this.cancelTimer) return;
    this.arm();
  }

  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  onEvent(fn: (e: OutlierEvent) => void): () => void {
    return this.listeners.add(fn);
  }

  /** Reports a final upstream HTTP status for `host` (router `putHttpResponseCode`). */
  putHttpResponseCode(host: Host, code: number): void {
    this.putCode(host, code, false);
  }

  private putCode(host: Host, code: number, localOrigin: boolean): void {
    const m = this.monitors[host.index]!;
    if (code >= 500) m.lastFailureLocal = localOrigin;
    const fired = m.putHttpResponseCode(code, this.cfg);
    if (fired === 0) return;
    if (fired & FIRED_GATEWAY) this.onConsecutiveError(host, m, EjectionType.ConsecutiveGatewayFailure);
    if (fired & FIRED_5XX) this.onConsecutiveError(host, m, EjectionType.Consecutive5xx);
  }

  /**
   * Reports a local-origin event. Without `split_external_local_origin_errors` these become HTTP
   * codes (connect failure → 503, timeout → `code` or 504) and feed the 5xx counters; with it they
   * feed the separate local-origin counters.
   */
  putResult(host: Host, result: LocalOriginResult, code?: number): void {
    const m = this.monitors[host.index]!;
    if (!this.cfg.split_external_local_origin_errors) {
      switch (result) {
        case LocalOriginResult.ConnectSuccess:
          return;
        case LocalOriginResult.ConnectSuccessFinal:
        case LocalOriginResult.ExtRequestSuccess:
          this.putHttpResponseCode(host, code ?? 200);
          return;
        case LocalOriginResult.Timeout:
          this.putCode(host, code ?? 504, true);
          return;
        case LocalOriginResult.ConnectFailed:
          this.putCode(host, code ?? 503, true);
          return;
        case LocalOriginResult.ExtRequestFailed:
          this.putHttpResponseCode(host, code ?? 500);
          return;
      }
    }
    switch (result) {
      case LocalOriginResult.ConnectSuccess:
      case LocalOriginResult.ConnectSuccessFinal:
        m.localOriginNoFailure();
        return;
      case LocalOriginResult.ExtRequestSuccess:
        this.putHttpResponseCode(host, code ?? 200);
        return;
      case LocalOriginResult.ExtRequestFailed:
        this.putHttpResponseCode(host, code ?? 503);
        return;
      case LocalOriginResult.ConnectFailed:
      case LocalOriginResult.Timeout: {
        const fired = m.localOriginFailure(this.cfg);
        if (fired !== undefined) this.onConsecutiveError(host, m, fired);
        return;
      }
    }
  }

  /**
   * Called by the active health checker after every check. A passing check un-ejects a host that
   * active checking itself does not consider failed (`successful_active_health_check_uneject_host`)
   * — except a host ejected for the answers it gave (5xx in real traffic): one passing check of one
   * path says nothing about a host that fails a third of its requests, so such a host serves its
   * ejection time, unless the check itself saw it fail and then recover
   * (`successful_active_health_check_uneject_5xx_host: false`, Brownout's default).
   */
  onActiveHealthCheck(host: Host, passed: boolean): void {
    const m = this.monitors[host.index]!;
    if (!host.has(HealthFlag.FailedOutlierCheck)) return;
    if (host.has(HealthFlag.FailedActiveHc)) {
      m.activeHcFailedWhileEjected = true;
      return;
    }
    if (!this.cfg.successful_active_health_check_uneject_host || !passed) return;
    if (m.ejectedForAnswers && !m.activeHcFailedWhileEjected && !this.cfg.successful_active_health_check_uneject_5xx_host) return;
    this.unejectHost(host, m);
  }

  hostState(host: Host): HostOutlierState {
    const m = this.monitors[host.index]!;
    const ejected = host.has(HealthFlag.FailedOutlierCheck);
    const left = ejected ? Math.max(0, this.ejectionDuration(m) - (this.clock.now() - m.lastEjectionTime)) : 0;
    return {
      ejected,
      ejectedFor: m.ejectedFor,
      numEjections: m.numEjections,
      ejectTimeBackoff: m.ejectTimeBackoff,
      ejectionTimeLeftMs: left,
      successRate: m.external.displayed,
      localOriginSuccessRate: m.local.displayed,
    };
  }

  /** Runs one sweep now. Exposed for tests and for the gateway's admin "sweep" action. */
  sweep(): void {
    const now = this.clock.now();
    for (const host of this.hostSet.hosts) {
      const m = this.monitors[host.index]!;
      if (host.has(HealthFlag.FailedOutlierCheck)) {
        if (this.ejectionDuration(m) <= now - m.lastEjectionTime) this.unejectHost(host, m);
      } else if (
        m.lastUnejectionTime >= 0 &&
        now - m.lastUnejectionTime >= this.cfg.interval &&
        m.ejectTimeBackoff > 0
      ) {
        // Back-off decays one step per interval while the host stays in (Envoy checkHostForUneject).
        m.ejectTimeBackoff--;
      }
      m.external.swap();
      m.local.swap();
    }
    this.processStatistical(false);
    if (this.cfg.split_external_local_origin_errors) this.processStatistical(true);
  }

  private arm(): void {
    this.cancelTimer = this.clock.setTimer(() => {
      this.sweep();
      if (this.cancelTimer) this.arm();
    }, this.cfg.interval);
  }

  /**
   * Another worker ejected `host` (workers share one view of host health): it stays out here for
   * the same time. The cap (max_ejection_percent) is checked against this worker's own view; the
   * ejection back-off stays the detecting worker's business.
   */
  ejectFromPeer(host: Host, type: EjectionType, durationMs: number, forAnswers: boolean): boolean {
    if (host.has(HealthFlag.FailedOutlierCheck)) return false;
    const active = this.stats.ejections_active;
    let allowed = (100 * (active + 1)) / this.hostSet.hosts.length <= this.cfg.max_ejection_percent;
    if (this.cfg.always_eject_one_host) allowed ||= active === 0;
    if (!allowed) return false;
    const m = this.monitors[host.index]!;
    this.stats.ejections_active++;
    m.numEjections++;
    m.lastEjectionTime = this.clock.now();
    m.ejectedFor = type;
    m.ejectedForAnswers = forAnswers;
    m.activeHcFailedWhileEjected = host.has(HealthFlag.FailedActiveHc);
    m.peerDurationMs = durationMs;
    host.set(HealthFlag.FailedOutlierCheck);
    this.emit({ action: 'eject', host, type, enforced: true, overflow: false, numEjections: m.numEjections, peer: true, durationMs, forAnswers });
    return true;
  }

  /** The worker that ejected `host` let it back in: so does this one, if it was out on that worker's word. */
  unejectFromPeer(host: Host): boolean {
    const m = this.monitors[host.index]!;
    if (!host.has(HealthFlag.FailedOutlierCheck) || m.peerDurationMs === undefined) return false;
    this.unejectHost(host, m, true);
    return true;
  }

  private ejectionDuration(m: HostMonitor): number {
    if (m.peerDurationMs !== undefined) return m.peerDurationMs;
    return Math.min(this.cfg.base_ejection_time * m.ejectTimeBackoff, this.cfg.max_ejection_time) + m.jitterMs;
  }

  private onConsecutiveError(host: Host, m: HostMonitor, type: EjectionType): void {
    // An already ejected host keeps its counter (Envoy returns before the reset).
    if (host.has(HealthFlag.FailedOutlierCheck)) return;
    this.stats.ejections_detected[type]++;
    this.ejectHost(host, m, type);
    m.resetCounter(type);
  }

  private ejectHost(host: Host, m: HostMonitor, type: EjectionType): void {
    const total = this.hostSet.hosts.length;
    const active = this.stats.ejections_active;
    let allowed = (100 * (active + 1)) / total <= this.cfg.max_ejection_percent;
    if (this.cfg.always_eject_one_host) allowed ||= active === 0;
    if (!allowed) {
      this.stats.ejections_overflow++;
      this.emit({ action: 'eject', host, type, enforced: false, overflow: true, numEjections: m.numEjections, peer: false, durationMs: 0, forAnswers: false });
      return;
    }
    const enforcing = this.cfg[ENFORCING_KEY[type]] as number;
    if (!roll(this.random, enforcing)) {
      this.emit({ action: 'eject', host, type, enforced: false, overflow: false, numEjections: m.numEjections, peer: false, durationMs: 0, forAnswers: false });
      return;
    }
    this.stats.ejections_active++;
    this.stats.ejections_enforced_total++;
    this.stats.ejections_enforced[type]++;
    m.numEjections++;
    m.lastEjectionTime = this.clock.now();
    m.ejectedFor = type;
    m.ejectedForAnswers = ANSWER_EJECTIONS.has(type) && !m.lastFailureLocal;
    m.activeHcFailedWhileEjected = host.has(HealthFlag.FailedActiveHc);
    m.jitterMs = randomInt(this.random, this.cfg.max_ejection_time_jitter + 1);
    // Grows until base × backoff reaches max; the effective time is capped at max anyway.
    if (m.ejectTimeBackoff * this.cfg.base_ejection_time < this.cfg.max_ejection_time + this.cfg.base_ejection_time) {
      m.ejectTimeBackoff++;
    }
    m.peerDurationMs = undefined;
    host.set(HealthFlag.FailedOutlierCheck);
    this.emit({ action: 'eject', host, type, enforced: true, overflow: false, numEjections: m.numEjections, peer: false, durationMs: this.ejectionDuration(m), forAnswers: m.ejectedForAnswers });
  }

  private unejectHost(host: Host, m: HostMonitor, peer = false): void {
    this.stats.ejections_active--;
    m.resetAllCounters();
    m.lastUnejectionTime = this.clock.now();
    m.ejectedFor = undefined;
    m.peerDurationMs = undefined;
    host.clear(HealthFlag.FailedOutlierCheck);
    this.emit({ action: 'uneject', host, type: undefined, enforced: true, overflow: false, numEjections: m.numEjections, peer, durationMs: 0, forAnswers: false });
  }

  private emit(e: OutlierEvent): void {
    this.listeners.emit(e);
  }

  private processStatistical(local: boolean): void {
    const cfg = this.cfg;
    const total = this.hostSet.hosts.length;
    if (local) {
      this.localOriginSuccessRateAverage = -1;
      this.localOriginSuccessRateEjectionThreshold = -1;
    } else {
      this.successRateAverage = -1;
      this.successRateEjectionThreshold = -1;
    }
    if (total < cfg.success_rate_minimum_hosts && total < cfg.failure_percentage_minimum_hosts) return;
    const srHosts: Host[] = [];
    const srRates: number[] = [];
    const fpHosts: Host[] = [];
    const fpRates: number[] = [];
    const fpVolume = this.failurePercentageVolume(local);
    const minVolume = Math.min(cfg.success_rate_request_volume, fpVolume);
    for (const host of this.hostSet.hosts) {
      if (host.has(HealthFlag.FailedOutlierCheck)) continue;
      const b: SuccessRateBuckets = local ? this.monitors[host.index]!.local : this.monitors[host.index]!.external;
      if (b.backupTotal === 0) continue;
      const rate = (b.backupSuccess * 100) / b.backupTotal;
      if (b.backupTotal >= minVolume) b.displayed = rate;
      if (b.backupTotal >= cfg.success_rate_request_volume) {
        srHosts.push(host);
        srRates.push(rate);
      }
      if (b.backupTotal >= fpVolume) {
        fpHosts.push(host);
        fpRates.push(rate);
      }
    }
    if (srHosts.length > 0 && srHosts.length >= cfg.success_rate_minimum_hosts) {
      const { average, threshold } = successRateThreshold(srRates, cfg.success_rate_stdev_factor);
      if (local) {
        this.localOriginSuccessRateAverage = average;
        this.localOriginSuccessRateEjectionThreshold = threshold;
      } else {
        this.successRateAverage = average;
        this.successRateEjectionThreshold = threshold;
      }
      const type = local ? EjectionType.LocalOriginSuccessRate : EjectionType.SuccessRate;
      for (let i = 0; i < srHosts.length; i++) {
        if (srRates[i]! < threshold) this.detectStatistical(srHosts[i]!, type);
      }
    }
    if (fpHosts.length > 0 && fpHosts.length >= cfg.failure_percentage_minimum_hosts) {
      const type = local ? EjectionType.LocalOriginFailurePercentage : EjectionType.FailurePercentage;
      const relative = cfg.failure_percentage_relative_threshold;
      for (let i = 0; i < fpHosts.length; i++) {
        const failed = 100 - fpRates[i]!;
        if (failed >= cfg.failure_percentage_threshold || (relative > 0 && failed - othersMedianFailure(fpRates, i) >= relative)) this.detectStatistical(fpHosts[i]!, type);
      }
    }
  }

  /** The volume failure-percentage detection needs this interval (see failure-percentage.ts). */
  private failurePercentageVolume(local: boolean): number {
    const volumes: number[] = [];
    for (const host of this.hostSet.hosts) {
      if (host.has(HealthFlag.FailedOutlierCheck)) continue;
      const b = local ? this.monitors[host.index]!.local : this.monitors[host.index]!.external;
      if (b.backupTotal > 0) volumes.push(b.backupTotal);
    }
    return failurePercentageVolume(volumes, this.cfg.failure_percentage_request_volume);
  }

  private detectStatistical(host: Host, type: EjectionType): void {
    // Success-rate may already have ejected this host in this sweep.
    if (host.has(HealthFlag.FailedOutlierCheck)) return;
    this.stats.ejections_detected[type]++;
    this.ejectHost(host, this.monitors[host.index]!, type);
  }
}
