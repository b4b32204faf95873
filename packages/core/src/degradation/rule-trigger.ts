import type { Clock } from '../clock.ts';
import { Listeners } from '../events.ts';
import { assertRange } from '../errors.ts';
import { roll, type Random } from '../random.ts';
import { emptyTotals, RollingWindow } from '../breaker/rolling-window.ts';

/**
 * An automatic degradation rule with hysteresis: enter when the metric reaches `enter`, leave only
 * when it is back at or below `exit`, and not before `min_hold`. Metric is the error ratio (0–1) or
 * the mean latency (ms) over the window.
 */
export interface RuleConfig {
  readonly metric: 'error_ratio' | 'latency';
  readonly enter: number;
  readonly exit: number;
  readonly minimum_requests: number;
  readonly window: number;
  readonly min_hold: number;
  /**
   * While degraded, this percentage of requests still goes upstream so the rule can see recovery;
   * the rest are served degraded. Without it a rule could never observe that the upstream healed.
   */
  readonly probe_percent: number;
  readonly recovery_minimum_requests: number;
}

export const RULE_DEFAULTS: Omit<RuleConfig, 'metric' | 'enter' | 'exit'> = Object.freeze({
  minimum_requests: 20,
  window: 10_000,
  min_hold: 10_000,
  probe_percent: 10,
  recovery_minimum_requests: 5,
});

export interface RuleChange {
  readonly active: boolean;
  readonly value: number;
}

/** One rule's state for one route (per gateway instance). */
export class RuleTrigger {
  private activeSince = -1;
  private window: RollingWindow;
  private readonly scratch = emptyTotals();
  private readonly listeners = new Listeners<RuleChange>();
  readonly cfg: RuleConfig;
  private readonly clock: Clock;
  private readonly random: Random;

  constructor(cfg: RuleConfig, clock: Clock, random: Random) {
    if (cfg.metric === 'error_ratio') {
      assertRange('enter', cfg.enter, 0, 1);
    }
    assertRange('exit', cfg.exit, 0, cfg.enter);
    assertRange('probe_percent', cfg.probe_percent, 0, 100);
    this.cfg = cfg;
    this.clock = clock;
    this.random = random;
    this.window = new RollingWindow(cfg.window, 10);
  }

  get active(): boolean {
    return this.activeSince >= 0;
  }

  onChange(fn: (c: RuleChange) => void): () => void {
    return this.listeners.add(fn);
  }

  /** While active: should this request go upstream anyway as a recovery probe? */
  shouldProbe(): boolean {
    return roll(this.random, this.cfg.probe_percent);
  }

  /** Records an upstream outcome (normal traffic, or a probe while active). */
  record(failure: boolean, latencyMs: number): void {
    const now = this.clock.now();
    this.window.record(now, failure, false, latencyMs);
    const t = this.window.totals(now, this.scratch);
    const value = this.cfg.metric === 'error_ratio' ? t.failures / t.total : t.latencySum / t.total;
    if (!this.active) {
      if (t.total >= this.cfg.minimum_requests && value >= this.cfg.enter) {
        this.activeSince = now;
        // Start recovery measurement from a clean slate: old failures must not keep us degraded.
        this.window.reset();
        this.emit(true, value);
      }
    } else if (
      now - this.activeSince >= this.cfg.min_hold &&
      t.total >= this.cfg.recovery_minimum_requests &&
      value <= this.cfg.exit
    ) {
      this.activeSince = -1;
      this.window.reset();
      this.emit(false, value);
    }
  }

  private emit(active: boolean, value: number): void {
    this.listeners.emit({ active, value });
  }
}
