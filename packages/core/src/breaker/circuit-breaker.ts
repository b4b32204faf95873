import type { Clock } from '../clock.ts';
import { Listeners } from '../events.ts';
import { assertRange } from '../errors.ts';
import { emptyTotals, RollingWindow, type WindowTotals } from './rolling-window.ts';

/** Settings of the classic closed → open → half-open breaker (durations in ms, ratios in [0, 1]). */
export interface CircuitBreakerConfig {
  /** Trip after this many consecutive failures; 0 disables the rule. */
  readonly consecutive_failures: number;
  /** Trip when the failure ratio over the window reaches this (the high hysteresis mark); 0 disables. */
  readonly failure_ratio: number;
  /**
   * Half-open closes only when the probes' failure ratio is at or below this (the low hysteresis
   * mark). Defaults to `failure_ratio`; set it lower so a borderline service does not flap.
   */
  readonly close_failure_ratio: number;
  /** A call at least this slow counts as slow; 0 disables the slow-call rule. */
  readonly slow_call_duration: number;
  /** Trip when the share of slow calls over the window reaches this. */
  readonly slow_call_ratio: number;
  /** The ratio rules need this many calls in the window before they may trip. */
  readonly minimum_requests: number;
  readonly window: number;
  readonly window_buckets: number;
  /** How long the breaker stays open before probing (think MTTR). */
  readonly open_duration: number;
  /** Each re-open multiplies the open time by this, up to `max_open_duration`. */
  readonly open_backoff_multiplier: number;
  readonly max_open_duration: number;
  /** Probe calls let through in half-open; all must finish before it decides. */
  readonly half_open_max_calls: number;
  /** `shadow`: the state machine runs and counts, but never rejects a call. */
  readonly mode: 'enforce' | 'shadow';
  /**
   * `ROLLING_WINDOW` (default): the consecutive, failure-ratio and slow-call rules over the bucketed
   * window. `RED` (Rolling Exponential Decay): one rule, the decayed error rate (see `decayedRate`)
   * against `rr_high_threshold` / `rr_low_threshold`.
   */
  readonly type: 'ROLLING_WINDOW' | 'RED';
  /** RED: open when the decayed error rate reaches this. */
  readonly rr_high_threshold: number;
  /** RED: close (after successful probes) only once the decayed rate is at or below this. */
  readonly rr_low_threshold: number;
  /** RED: half-life of the decay, in ms (time, not calls: an idle route's rate fades). */
  readonly rr_half_life: number;
}

export const BREAKER_DEFAULTS: CircuitBreakerConfig = Object.freeze({
  consecutive_failures: 5,
  failure_ratio: 0.5,
  close_failure_ratio: 0.5,
  slow_call_duration: 0,
  slow_call_ratio: 1,
  minimum_requests: 20,
  window: 10_000,
  window_buckets: 10,
  open_duration: 30_000,
  open_backoff_multiplier: 1,
  max_open_duration: 300_000,
  half_open_max_calls: 1,
  mode: 'enforce',
  type: 'ROLLING_WINDOW',
  rr_high_threshold: 0.5,
  rr_low_threshold: 0.1,
  rr_half_life: 10_000,
});

export const CircuitState = {
  Closed: 'closed',
  Open: 'open',
  HalfOpen: 'half_open',
  ForcedOpen: 'forced_open',
  ForcedClosed: 'forced_closed',
} as const;
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];

export type TripReason = 'consecutive_failures' | 'failure_ratio' | 'slow_call_ratio' | 'decayed_error_rate' | 'half_open_failure' | 'manual';

type State =
  | { readonly kind: 'closed' }
  | { readonly kind: 'open'; readonly openedAt: number; readonly openFor: number }
  | { readonly kind: 'half_open'; readonly openFor: number; issued: number; done: number; failures: number }
  | { readonly kind: 'forced_open' }
  | { readonly kind: 'forced_closed' };

export interface StateChange {
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: TripReason | 'probes_succeeded' | 'open_elapsed' | 'manual';
}

export interface BreakerStats {
  opened: number;
  rejected: number;
  /** Calls shadow mode let through that an enforcing breaker would have rejected. */
  shadow_rejected: number;
}

/**
 * The classic state-machine breaker, per route. Trips on consecutive failures, a failure ratio or a
 * slow-call ratio over a rolling window with a minimum volume; after `open_duration` lets
 * `half_open_max_calls` probes through; closes when their failure ratio is at or below
 * `close_failure_ratio`, else re-opens for longer (back-off). Open → half-open is evaluated lazily
 * on the next call, so the breaker needs no timer.
 */
export class CircuitBreaker {
  readonly stats: BreakerStats = { opened: 0, rejected: 0, shadow_rejected: 0 };
  private state: State = { kind: 'closed' };
  private consecutive = 0;
  private window: RollingWindow;
  private readonly scratch: WindowTotals = emptyTotals();
  private readonly listeners = new Listeners<StateChange>();
  private cfg: CircuitBreakerConfig;
  private readonly clock: Clock;
  /** RED: time-decayed weights of failed and of all calls, as of `decayedAt`. */
  private decayedFailures = 0;
  private decayedCalls = 0;
  private decayedAt = 0;

  constructor(config: Partial<CircuitBreakerConfig>, clock: Clock) {
    this.cfg = validate(config);
    this.clock = clock;
    this.decayedAt = clock.now();
    this.window = new RollingWindow(this.cfg.window, this.cfg.window_buckets);
  }

  get config(): CircuitBreakerConfig {
    return this.cfg;
  }

  /** Keeps the current state; a new window shape starts an empty window. */
  updateConfig(config: Partial<CircuitBreakerConfig>): void {
    const next = validate(config);
    if (next.window !== this.cfg.window || next.window_buckets !== this.cfg.window_buckets) {
      this.window = new RollingWindow(next.window, next.window_buckets);
    }
    this.cfg = next;
  }

  /** Current state, moving open → half-open if its time is up. */
  get current(): CircuitState {
    this.advance();
    return this.state.kind;
  }

  /**
   * RED's error rate: the time-decayed weight of failed calls over that of all calls, the latter
   * floored at `minimum_requests`. Both weights halve every `rr_half_life` ms, so a quiet route's
   * rate fades toward 0 (its old verdict does not stand forever) and a handful of calls cannot
   * reach the threshold on their own. 0 for the ROLLING_WINDOW type.
   */
  decayedRate(): number {
    if (this.cfg.type !== 'RED') return 0;
    this.decay(this.clock.now());
    return this.decayedFailures / Math.max(this.decayedCalls, this.cfg.minimum_requests, 1);
  }

  private decay(now: number): void {
    const dt = now - this.decayedAt;
    if (dt <= 0) return;
    const f = Math.pow(2, -dt / this.cfg.rr_half_life);
    this.decayedFailures *= f;
    this.decayedCalls *= f;
    this.decayedAt = now;
  }

  /** Milliseconds until an open breaker starts probing (for Retry-After); 0 otherwise. */
  retryAfterMs(): number {
    this.advance();
    const s = this.state;
    return s.kind === 'open' ? Math.max(0, s.openedAt + s.openFor - this.clock.now()) : 0;
  }

  onStateChange(fn: (c: StateChange) => void): () => void {
    return this.listeners.add(fn);
  }

  /**
   * Asks to make a call. Returns false if the breaker rejects it. A true answer in half-open holds
   * a probe slot: the caller must report the call with onSuccess/onFailure, or onIgnored if it never ran.
   */
  tryAcquire(): boolean {
    this.advance();
    const s = this.state;
    let allowed: boolean;
    switch (s.kind) {
      case 'closed':
      case 'forced_closed':
        return true;
      case 'forced_open':
        this.stats.rejected++;
        return false;
      case 'open':
        allowed = false;
        break;
      case 'half_open':
        allowed = s.issued < this.cfg.half_open_max_calls;
        if (allowed) s.issued++;
        break;
    }
    if (allowed) return true;
    if (this.cfg.mode === 'shadow') {
      this.stats.shadow_rejected++;
      return true;
    }
    this.stats.rejected++;
    return false;
  }

  onSuccess(durationMs = 0): void {
    this.record(false, durationMs);
  }

  onFailure(durationMs = 0): void {
    this.record(true, durationMs);
  }

  /** Releases a half-open probe slot whose call never reached the upstream. */
  onIgnored(): void {
    if (this.state.kind === 'half_open' && this.state.issued > this.state.done) this.state.issued--;
  }

  forceOpen(): void {
    this.transition({ kind: 'forced_open' }, 'manual');
  }

  forceClosed(): void {
    this.transition({ kind: 'forced_closed' }, 'manual');
  }

  /** Leaves a forced state (or any state) for a fresh closed breaker. */
  reset(): void {
    this.consecutive = 0;
    this.window.reset();
    this.transition({ kind: 'closed' }, 'manual');
  }

  private record(failure: boolean, durationMs: number): void {
    if (this.cfg.type === 'RED') {
      this.recordRed(failure);
      return;
    }
    const s = this.state;
    const slow = this.cfg.slow_call_duration > 0 && durationMs >= this.cfg.slow_call_duration;
    const bad = failure || slow;
    switch (s.kind) {
      case 'forced_open':
      case 'forced_closed':
        return;
      case 'open':
        // Calls admitted before the trip (or in shadow mode) still finish; they do not move the state.
        return;
      case 'half_open': {
        s.done++;
        if (bad) s.failures++;
        const max = this.cfg.half_open_max_calls;
        // Re-open as soon as the failures already exceed what the close mark allows.
        if (s.failures / max > this.cfg.close_failure_ratio) {
          this.open(Math.min(s.openFor * this.cfg.open_backoff_multiplier, this.cfg.max_open_duration), 'half_open_failure');
        } else if (s.done >= max) {
          this.consecutive = 0;
          this.window.reset();
          this.transition({ kind: 'closed' }, 'probes_succeeded');
        }
        return;
      }
      case 'closed': {
        const now = this.clock.now();
        this.window.record(now, failure, slow, durationMs);
        this.consecutive = failure ? this.consecutive + 1 : 0;
        if (this.cfg.consecutive_failures > 0 && this.consecutive >= this.cfg.consecutive_failures) {
          this.open(this.cfg.open_duration, 'consecutive_failures');
          return;
        }
        if (!bad) return;
        const t = this.window.totals(now, this.scratch);
        if (t.total < this.cfg.minimum_requests) return;
        if (this.cfg.failure_ratio > 0 && t.failures / t.total >= this.cfg.failure_ratio) {
          this.open(this.cfg.open_duration, 'failure_ratio');
        } else if (this.cfg.slow_call_duration > 0 && t.slow / t.total >= this.cfg.slow_call_ratio) {
          this.open(this.cfg.open_duration, 'slow_call_ratio');
        }
        return;
      }
    }
  }

  /**
   * RED: every outcome (probes included) moves the decayed rate. Closed opens at the high mark;
   * half-open re-opens on a failed probe, closes once a batch of probes succeeded and the rate is
   * at or below the low mark, and otherwise lets the next batch through — so a trickle of
   * successes closes it only when the rate has decayed far enough.
   */
  private recordRed(failure: boolean): void {
    const s = this.state;
    if (s.kind === 'forced_open' || s.kind === 'forced_closed') return;
    this.decay(this.clock.now());
    this.decayedCalls += 1;
    if (failure) this.decayedFailures += 1;
    const rate = this.decayedFailures / Math.max(this.decayedCalls, this.cfg.minimum_requests, 1);
    if (s.kind === 'closed') {
      if (rate >= this.cfg.rr_high_threshold) this.open(this.cfg.open_duration, 'decayed_error_rate');
    } else if (s.kind === 'half_open') {
      s.done++;
      if (failure) {
        this.open(Math.min(s.openFor * this.cfg.open_backoff_multiplier, this.cfg.max_open_duration), 'half_open_failure');
      } else if (s.done >= this.cfg.half_open_max_calls && s.done >= s.issued) {
        if (rate <= this.cfg.rr_low_threshold) {
          this.transition({ kind: 'closed' }, 'probes_succeeded');
        } else {
          s.issued = 0;
          s.done = 0;
        }
      }
    }
  }

  private open(openFor: number, reason: TripReason): void {
    this.stats.opened++;
    this.transition({ kind: 'open', openedAt: this.clock.now(), openFor }, reason);
  }

  private advance(): void {
    const s = this.state;
    if (s.kind === 'open' && this.clock.now() >= s.openedAt + s.openFor) {
      this.transition({ kind: 'half_open', openFor: s.openFor, issued: 0, done: 0, failures: 0 }, 'open_elapsed');
    }
  }

  private transition(next: State, reason: StateChange['reason']): void {
    const from = this.state.kind;
    this.state = next;
    if (from === next.kind && reason !== 'manual') return;
    this.listeners.emit({ from, to: next.kind, reason });
  }
}

function validate(partial: Partial<CircuitBreakerConfig>): CircuitBreakerConfig {
  const c: CircuitBreakerConfig = {
    ...BREAKER_DEFAULTS,
    ...partial,
    close_failure_ratio: partial.close_failure_ratio ?? partial.failure_ratio ?? BREAKER_DEFAULTS.close_failure_ratio,
  };
  assertRange('consecutive_failures', c.consecutive_failures, 0);
  assertRange('failure_ratio', c.failure_ratio, 0, 1);
  assertRange('close_failure_ratio', c.close_failure_ratio, 0, c.failure_ratio > 0 ? c.failure_ratio : 1);
  assertRange('slow_call_ratio', c.slow_call_ratio, 0, 1);
  assertRange('half_open_max_calls', c.half_open_max_calls, 1);
  assertRange('open_duration', c.open_duration, 1);
  assertRange('open_backoff_multiplier', c.open_backoff_multiplier, 1);
  assertRange('max_open_duration', c.max_open_duration, c.open_duration);
  assertRange('rr_high_threshold', c.rr_high_threshold, Number.MIN_VALUE, 1);
  assertRange('rr_low_threshold', c.rr_low_threshold, Number.MIN_VALUE, c.rr_high_threshold);
  assertRange('rr_half_life', c.rr_half_life, 1);
  return Object.freeze(c);
}
