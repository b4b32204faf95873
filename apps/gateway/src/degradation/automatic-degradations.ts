import type { Engine } from '@brownout/core';
import type { AutoEvent, FleetReporter } from '@brownout/control-plane';
import type { Logger } from 'pino';

/** A route degraded by a trigger (not by an operator): breaker open, a rule, no healthy host. */
export interface AutomaticDegradation {
  readonly route: string;
  readonly reason: 'breaker' | 'rule' | 'no-healthy-host';
}

/** Routes automatically degraded right now on this instance, and why. */
export function automaticDegradations(engine: Engine): AutomaticDegradation[] {
  const out: AutomaticDegradation[] = [];
  for (const r of engine.routes) {
    const b = r.breaker?.current;
    if ((b === 'open' || b === 'forced_open') && r.degradation.triggers.breaker_open) out.push({ route: r.name, reason: 'breaker' });
    if (r.ruleActive()) out.push({ route: r.name, reason: 'rule' });
    const hs = r.cluster.hostSet;
    if (r.degradation.triggers.no_healthy_host && r.cluster.config.healthy_panic_threshold === 0 && hs.healthy.length + hs.degraded.length === 0) {
      out.push({ route: r.name, reason: 'no-healthy-host' });
    }
  }
  return out;
}

/**
 * Says when routes start and stop being degraded automatically: in the operational log and, in
 * fleet mode, in the shared change log. Breaker and rule changes are announced as they happen;
 * no-healthy-host is compared at each heartbeat. Also logs outlier ejections.
 */
export class AutomaticDegradationWatcher {
  private readonly engine: () => Engine;
  private readonly fleet: () => FleetReporter | undefined;
  private readonly log: Logger;

  constructor(engine: () => Engine, fleet: () => FleetReporter | undefined, log: Logger) {
    this.engine = engine;
    this.fleet = fleet;
    this.log = log;
  }

  /** Routes whose cluster had no healthy host at the last heartbeat (breaker and rule changes are announced as they happen). */
  private noHealthyHost = new Set<string>();

  /** Compares no-healthy-host degradations with the last heartbeat's and announces the changes. */
  announceHostLoss(): void {
    const now = new Set(automaticDegradations(this.engine()).filter(a => a.reason === 'no-healthy-host').map(a => a.route));
    for (const r of now) if (!this.noHealthyHost.has(r)) this.announce({ route: r, reason: 'no-healthy-host', active: true });
    for (const r of this.noHealthyHost) if (!now.has(r)) this.announce({ route: r, reason: 'no-healthy-host', active: false });
    this.noHealthyHost = now;
  }

  private announce(e: AutoEvent): void {
    this.log.warn({ ...e }, e.active ? 'route automatically degraded' : 'route recovered from automatic degradation');
    this.fleet()?.announce(e);
  }

  /** Engine objects already subscribed to; they survive reloads, so subscribe each exactly once. */
  private readonly watched = new WeakSet<object>();

  /** Subscribes to the engine's breakers, rules and outlier detectors (new ones after a reload). */
  watchEngine(): void {
    for (const r of this.engine().routes) {
      const b = r.breaker;
      if (b && !this.watched.has(b) && r.degradation.triggers.breaker_open) {
        this.watched.add(b);
        b.onStateChange(ch => {
          if (ch.to === 'open' && ch.from !== 'open') this.announce({ route: r.name, reason: 'breaker', active: true });
          else if (ch.to === 'closed' && ch.from !== 'closed') this.announce({ route: r.name, reason: 'breaker', active: false });
        });
      }
      for (const rule of r.rules) {
        if (this.watched.has(rule)) continue;
        this.watched.add(rule);
        rule.onChange(c => {
          this.announce({ route: r.name, reason: 'rule', active: c.active });
        });
      }
    }
    for (const c of this.engine().clusters.values()) {
      const o = c.outlier;
      if (!o || this.watched.has(o)) continue;
      this.watched.add(o);
      o.onEvent(e => {
        this.log.info({ cluster: c.name, host: e.host.id, action: e.action, type: e.type, enforced: e.enforced, overflow: e.overflow, num_ejections: e.numEjections }, `outlier ${e.action}`);
        // Only what happened: a detection in shadow or stopped by the cap took no host out.
        if (e.action === 'uneject' || (e.enforced && !e.overflow)) {
          this.fleet()?.announceHost({ cluster: c.name, host: e.host.id, ejected: e.action === 'eject', reason: e.action === 'eject' ? (e.type ?? 'unknown') : '' });
        }
      });
    }
  }
}
