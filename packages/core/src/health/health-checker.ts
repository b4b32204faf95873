import type { Cancel, Clock } from '../clock.ts';
import { Listeners } from '../events.ts';
import { randomInt, type Random } from '../random.ts';
import { HealthFlag } from '../host/health-flag.ts';
import type { Host } from '../host/host.ts';
import type { HostSet } from '../host/host-set.ts';
import { inRanges, type HealthCheckConfig } from './health-check-config.ts';
import type { Probe, ProbeOutcome } from './probe.ts';

export const HealthTransition = { Unchanged: 'unchanged', Changed: 'changed', ChangePending: 'change_pending' } as const;
export type HealthTransition = (typeof HealthTransition)[keyof typeof HealthTransition];

/** Envoy's failure types: network ones count toward `unhealthy_threshold`, active ones fail at once. */
export type FailureType = 'network' | 'network_timeout' | 'active' | 'passive';

export interface HealthCheckEvent {
  readonly host: Host;
  readonly passed: boolean;
  readonly transition: HealthTransition;
  readonly failure: FailureType | undefined;
}

export interface HealthCheckStats {
  attempt: number;
  success: number;
  failure: number;
  network_failure: number;
  passive_failure: number;
}

class Session {
  firstCheck = true;
  numHealthy = 0;
  numUnhealthy = 0;
  cancelTimer: Cancel | undefined;
  inFlight: AbortController | undefined;
  cancelTimeout: Cancel | undefined;
  /** Bumped per check so a late answer after a timeout is ignored. */
  generation = 0;
  /** This host's share of the checker's stats. */
  readonly stats: HealthCheckStats = { attempt: 0, success: 0, failure: 0, network_failure: 0, passive_failure: 0 };
}

/**
 * Active health checking with Envoy's state machine (health_checker_base_impl.cc): a host starts
 * failed until its first check, and one pass makes it healthy whatever `healthy_threshold` says;
 * network failures and retriable statuses count toward `unhealthy_threshold`, while a definite bad
 * answer (a status outside `expected_statuses`, an immediate-fail header) fails it at once. The next
 * check is scheduled after the current one completes, so the period is interval + round trip.
 */
export class HealthChecker {
  readonly stats: HealthCheckStats = { attempt: 0, success: 0, failure: 0, network_failure: 0, passive_failure: 0 };
  private readonly sessions: Session[];
  private readonly listeners = new Listeners<HealthCheckEvent>();
  private cfg: HealthCheckConfig;
  private running = false;
  private hasTraffic = false;
  private readonly hostSet: HostSet;
  private readonly probe: Probe;
  private readonly clock: Clock;
  private readonly random: Random;

  constructor(hostSet: HostSet, config: HealthCheckConfig, probe: Probe, clock: Clock, random: Random) {
    this.hostSet = hostSet;
    this.cfg = config;
    this.probe = probe;
    this.clock = clock;
    this.random = random;
    this.sessions = hostSet.hosts.map(() => new Session());
  }

  get config(): HealthCheckConfig {
    return this.cfg;
  }

  updateConfig(config: HealthCheckConfig): void {
    this.cfg = config;
  }

  /** Marks hosts failed-until-first-check and schedules each host's first check. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const host of this.hostSet.hosts) {
      const s = this.sessions[host.index]!;
      host.set(HealthFlag.FailedActiveHc);
      if (this.cfg.ignore_new_hosts_until_first_hc) host.set(HealthFlag.PendingActiveHc);
      const delay = this.cfg.initial_jitter > 0 ? Math.max(1, randomInt(this.random, this.cfg.initial_jitter)) : 0;
      s.cancelTimer = this.clock.setTimer(() => {
        this.runCheck(host);
      }, delay);
    }
  }

  stop(): void {
    this.running = false;
    for (const s of this.sessions) {
      s.cancelTimer?.();
      s.cancelTimer = undefined;
      s.generation++;
      s.inFlight?.abort();
      s.inFlight = undefined;
      s.cancelTimeout?.();
      s.cancelTimeout = undefined;
    }
  }

  /** The cluster has carried traffic: leave `no_traffic_interval` for the normal intervals. */
  markTraffic(): void {
    this.hasTraffic = true;
  }

  onResult(fn: (e: HealthCheckEvent) => void): () => void {
    return this.listeners.add(fn);
  }

  /**
   * A routed response carried `x-envoy-immediate-health-check-fail`: fail the host now (PASSIVE)
   * and exclude it until active checks bring it back.
   */
  setUnhealthyImmediately(host: Host): void {
    if (!this.running) return;
    host.set(HealthFlag.ExcludedViaImmediateHcFail);
    this.handleFailure(host, this.sessions[host.index]!, 'passive', false, false);
  }

  /** Interval for the next check given the host's state (Envoy HealthCheckerImplBase::interval). */
  nextInterval(healthy: boolean, transition: HealthTransition): number {
    const c = this.cfg;
    let base: number;
    if (this.hasTraffic) {
      if (!healthy) base = transition === HealthTransition.ChangePending ? c.unhealthy_edge_interval : c.unhealthy_interval;
      else base = transition === HealthTransition.ChangePending ? c.healthy_edge_interval : c.interval;
    } else {
      base = healthy && transition !== HealthTransition.ChangePending ? c.no_traffic_healthy_interval : c.no_traffic_interval;
    }
    if (c.interval_jitter_percent > 0) base += randomInt(this.random, Math.floor((c.interval_jitter_percent * base) / 100));
    if (c.interval_jitter > 0) base += randomInt(this.random, c.interval_jitter);
    return Math.max(1, base);
  }

  /** One host's check counts (undefined for a host this checker does not know). */
  hostStats(host: Host): Readonly<HealthCheckStats> | undefined {
    return this.sessions[host.index]?.stats;
  }

  private runCheck(host: Host): void {
    if (!this.running) return;
    const s = this.sessions[host.index]!;
    const gen = ++s.generation;
    const controller = new AbortController();
    s.inFlight = controller;
    this.stats.attempt++;
    s.stats.attempt++;
    const cancelTimeout = (s.cancelTimeout = this.clock.setTimer(() => {
      if (s.generation !== gen) return;
      s.generation++;
      controller.abort();
      s.inFlight = undefined;
      this.handleFailure(host, s, 'network_timeout', false, true);
    }, this.cfg.timeout));
    this.probe.check(host.address, host.port, controller.signal).then(
      outcome => {
        if (s.generation !== gen) return;
        cancelTimeout();
        s.inFlight = undefined;
        this.interpret(host, s, outcome);
      },
      () => {
        if (s.generation !== gen) return;
        cancelTimeout();
        s.inFlight = undefined;
        this.handleFailure(host, s, 'network', false, true);
      },
    );
  }

  private interpret(host: Host, s: Session, o: ProbeOutcome): void {
    switch (o.kind) {
      case 'network_failure':
        this.handleFailure(host, s, 'network', false, true);
        return;
      case 'connected':
        if (o.bodyMatched === false) this.handleFailure(host, s, 'network', false, true);
        else this.handleSuccess(host, s, false);
        return;
      case 'http': {
        const expected = inRanges(o.status, this.cfg.expected_statuses);
        if (expected && o.bodyMatched !== false) {
          this.handleSuccess(host, s, o.degraded === true);
          return;
        }
        if (o.immediateFail) host.set(HealthFlag.ExcludedViaImmediateHcFail);
        // `expected_statuses` wins over `retriable_statuses` where they overlap.
        const retriable = !expected && inRanges(o.status, this.cfg.retriable_statuses);
        this.handleFailure(host, s, 'active', retriable, true);
        return;
      }
    }
  }

  private handleSuccess(host: Host, s: Session, degraded: boolean): void {
    let transition: HealthTransition = HealthTransition.Unchanged;
    s.numUnhealthy = 0;
    if (host.has(HealthFlag.FailedActiveHc)) {
      if (s.firstCheck || ++s.numHealthy === this.cfg.healthy_threshold) {
        host.clear(HealthFlag.ActiveHcTimeout);
        host.clear(HealthFlag.ExcludedViaImmediateHcFail);
        host.clear(HealthFlag.FailedActiveHc);
        transition = HealthTransition.Changed;
        s.numHealthy = 0;
      } else {
        transition = HealthTransition.ChangePending;
      }
    }
    if (host.has(HealthFlag.PendingActiveHc)) {
      host.clear(HealthFlag.PendingActiveHc);
      transition = HealthTransition.Changed;
    }
    if (degraded !== host.has(HealthFlag.DegradedActiveHc)) {
      if (degraded) host.set(HealthFlag.DegradedActiveHc);
      else host.clear(HealthFlag.DegradedActiveHc);
      transition = HealthTransition.Changed;
    }
    this.stats.success++;
    s.stats.success++;
    s.firstCheck = false;
    this.emit({ host, passed: true, transition, failure: undefined });
    this.schedule(host, s, true, transition);
  }

  private handleFailure(host: Host, s: Session, type: FailureType, retriable: boolean, scheduleNext: boolean): void {
    let transition: HealthTransition = HealthTransition.Unchanged;
    s.numHealthy = 0;
    const network = type === 'network' || type === 'network_timeout';
    if (!host.has(HealthFlag.FailedActiveHc)) {
      if ((!network && !retriable) || ++s.numUnhealthy >= this.cfg.unhealthy_threshold) {
        host.set(HealthFlag.FailedActiveHc);
        transition = HealthTransition.Changed;
        s.numUnhealthy = 0;
      } else {
        transition = HealthTransition.ChangePending;
      }
    }
    if (type === 'network_timeout' && host.has(HealthFlag.FailedActiveHc)) host.set(HealthFlag.ActiveHcTimeout);
    else host.clear(HealthFlag.ActiveHcTimeout);
    if (host.has(HealthFlag.PendingActiveHc)) {
      host.clear(HealthFlag.PendingActiveHc);
      transition = HealthTransition.Changed;
    }
    this.stats.failure++;
    s.stats.failure++;
    if (network) {
      this.stats.network_failure++;
      s.stats.network_failure++;
    }
    if (type === 'passive') {
      this.stats.passive_failure++;
      s.stats.passive_failure++;
    }
    s.firstCheck = false;
    this.emit({ host, passed: false, transition, failure: type });
    if (scheduleNext) this.schedule(host, s, false, transition);
  }

  private schedule(host: Host, s: Session, healthy: boolean, transition: HealthTransition): void {
    if (!this.running) return;
    s.cancelTimer?.();
    s.cancelTimer = this.clock.setTimer(() => {
      this.runCheck(host);
    }, this.nextInterval(healthy, transition));
  }

  private emit(e: HealthCheckEvent): void {
    this.listeners.emit(e);
  }
}
