import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../testing/index.ts';
import { CircuitBreaker, type CircuitBreakerConfig, type StateChange } from './circuit-breaker.ts';

function setup(cfg: Partial<CircuitBreakerConfig> = {}) {
  const clock = new ManualClock();
  const b = new CircuitBreaker(cfg, clock);
  const changes: StateChange[] = [];
  b.onStateChange(c => changes.push(c));
  return { clock, b, changes };
}

function calls(b: CircuitBreaker, pattern: string, durationMs = 0): void {
  for (const c of pattern) {
    assert.equal(b.tryAcquire(), true);
    if (c === 'x') b.onFailure(durationMs);
    else b.onSuccess(durationMs);
  }
}

describe('CircuitBreaker', () => {
  it('opens after consecutive failures and rejects until open_duration has elapsed', () => {
    const { b, clock, changes } = setup({ consecutive_failures: 3, failure_ratio: 0 });
    calls(b, 'xx.xx');
    assert.equal(b.current, 'closed');
    calls(b, 'x');
    assert.equal(b.current, 'open');
    assert.equal(changes[0]!.reason, 'consecutive_failures');
    assert.equal(b.tryAcquire(), false);
    assert.equal(b.retryAfterMs(), 30_000);
    clock.advance(29_999);
    assert.equal(b.tryAcquire(), false);
    clock.advance(1);
    assert.equal(b.current, 'half_open');
    assert.equal(b.stats.rejected, 2);
  });

  it('trips on failure ratio only once the window holds minimum_requests', () => {
    const { b } = setup({ consecutive_failures: 0, failure_ratio: 0.5, minimum_requests: 10 });
    calls(b, 'x.x.x.x.x'); // 9 calls, 5 failures
    assert.equal(b.current, 'closed');
    calls(b, 'x'); // 10 calls, 6 failures = 60%
    assert.equal(b.current, 'open');
  });

  it('forgets failures that slid out of the window', () => {
    const { b, clock } = setup({ consecutive_failures: 0, failure_ratio: 0.5, minimum_requests: 10, window: 10_000, window_buckets: 10 });
    calls(b, 'xxxxx');
    clock.advance(10_000);
    calls(b, '.....xxxx'); // old failures expired: 4/9 ... then one more
    calls(b, '.');
    assert.equal(b.current, 'closed');
  });

  it('trips on slow-call ratio even when every call succeeds', () => {
    const { b } = setup({ consecutive_failures: 0, failure_ratio: 0, slow_call_duration: 1_000, slow_call_ratio: 0.5, minimum_requests: 4 });
    calls(b, '..', 1_500);
    calls(b, '.', 10);
    assert.equal(b.current, 'closed');
    calls(b, '.', 1_000); // 3 of 4 slow; a call exactly at the threshold counts as slow
    assert.equal(b.current, 'open');
  });

  it('half-open admits exactly half_open_max_calls probes and closes when they all succeed', () => {
    const { b, clock, changes } = setup({ consecutive_failures: 1, half_open_max_calls: 3 });
    calls(b, 'x');
    clock.advance(30_000);
    assert.equal(b.tryAcquire(), true);
    assert.equal(b.tryAcquire(), true);
    assert.equal(b.tryAcquire(), true);
    assert.equal(b.tryAcquire(), false, 'fourth concurrent probe rejected');
    b.onSuccess();
    b.onSuccess();
    assert.equal(b.current, 'half_open');
    b.onSuccess();
    assert.equal(b.current, 'closed');
    assert.deepEqual(changes.map(c => c.to), ['open', 'half_open', 'closed']);
  });

  it('a released probe slot can be reused', () => {
    const { b, clock } = setup({ consecutive_failures: 1, half_open_max_calls: 1 });
    calls(b, 'x');
    clock.advance(30_000);
    assert.equal(b.tryAcquire(), true);
    b.onIgnored();
    assert.equal(b.tryAcquire(), true);
  });

  it('re-opens on a half-open failure with back-off, capped at max_open_duration', () => {
    const { b, clock } = setup({ consecutive_failures: 1, open_duration: 1_000, open_backoff_multiplier: 2, max_open_duration: 5_000 });
    calls(b, 'x');
    const openTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      openTimes.push(b.retryAfterMs());
      clock.advance(b.retryAfterMs());
      assert.equal(b.tryAcquire(), true);
      b.onFailure();
    }
    assert.deepEqual(openTimes, [1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('hysteresis: opens at 50% failures but closes only when probes fail ≤ 10%', () => {
    const { b, clock } = setup({ consecutive_failures: 0, failure_ratio: 0.5, close_failure_ratio: 0.1, minimum_requests: 10, half_open_max_calls: 10 });
    calls(b, '.x.x.x.x.x');
    assert.equal(b.current, 'open');
    clock.advance(30_000);
    calls(b, '.x'); // 1 of 10 failed: still possible to close
    assert.equal(b.current, 'half_open');
    calls(b, 'x'); // 2 of 10 > 10%: reopen at once
    assert.equal(b.current, 'open');
    clock.advance(30_000);
    calls(b, '.........x');
    assert.equal(b.current, 'closed');
  });

  it('starts with a clean window after closing', () => {
    const { b, clock } = setup({ consecutive_failures: 0, failure_ratio: 0.5, minimum_requests: 4 });
    calls(b, 'xxx.');
    clock.advance(30_000);
    calls(b, '.');
    assert.equal(b.current, 'closed');
    calls(b, 'x');
    assert.equal(b.current, 'closed', 'one failure in a fresh window is below the volume');
  });

  it('shadow mode never rejects but counts what it would have rejected', () => {
    const { b } = setup({ consecutive_failures: 2, mode: 'shadow' });
    calls(b, 'xx');
    assert.equal(b.current, 'open');
    assert.equal(b.tryAcquire(), true);
    assert.equal(b.tryAcquire(), true);
    assert.equal(b.stats.shadow_rejected, 2);
    assert.equal(b.stats.rejected, 0);
  });

  it('force-open rejects and force-closed admits regardless of outcomes until reset', () => {
    const { b } = setup({ consecutive_failures: 1 });
    b.forceOpen();
    assert.equal(b.tryAcquire(), false);
    b.forceClosed();
    calls(b, 'xxxx');
    assert.equal(b.current, 'forced_closed');
    b.reset();
    calls(b, 'x');
    assert.equal(b.current, 'open');
  });

  it('validates the hysteresis marks', () => {
    assert.throws(() => new CircuitBreaker({ failure_ratio: 0.3, close_failure_ratio: 0.5 }, new ManualClock()), /close_failure_ratio/);
  });
});

describe('CircuitBreaker, type RED (Rolling Exponential Decay)', () => {
  const red = { type: 'RED' as const, rr_high_threshold: 0.5, rr_low_threshold: 0.1, open_duration: 30_000, rr_half_life: 10_000, minimum_requests: 10 };

  it('a burst of errors opens it at the high mark; a few errors on a quiet route do not', () => {
    const { b, changes } = setup(red);
    calls(b, 'xxxx');
    assert.equal(b.current, 'closed', 'four failures are 4/10 of the floored volume');
    assert.ok(Math.abs(b.decayedRate() - 0.4) < 1e-9);
    calls(b, 'x');
    assert.equal(b.current, 'open');
    assert.equal(changes[0]!.reason, 'decayed_error_rate');
    assert.equal(b.tryAcquire(), false);
  });

  it('idle time decays the rate: halves every half-life, so an old verdict fades', () => {
    const { b, clock } = setup(red);
    calls(b, '....xxxx');
    const before = b.decayedRate();
    clock.advance(10_000);
    assert.ok(Math.abs(b.decayedRate() - before / 2) < 1e-9, `${b.decayedRate()} vs ${before / 2}`);
    clock.advance(60_000);
    assert.ok(b.decayedRate() < 0.01);
    calls(b, 'xx');
    assert.equal(b.current, 'closed', 'two fresh failures after a quiet spell do not trip it');
  });

  it('after rr_reset_interval it probes; successes do not close it until the rate has decayed to the low mark', () => {
    const { b, clock, changes } = setup(red);
    // 40 calls in flight at once fail: the 5th opens it; the rest finish while open and still count.
    for (let i = 0; i < 40; i++) assert.equal(b.tryAcquire(), true);
    for (let i = 0; i < 40; i++) b.onFailure();
    assert.equal(b.current, 'open');
    clock.advance(30_000);
    assert.equal(b.current, 'half_open');
    const rateAtProbe = b.decayedRate();
    assert.ok(rateAtProbe > 0.1, `still above the low mark after one reset interval: ${rateAtProbe}`);
    calls(b, '.');
    assert.equal(b.current, 'half_open', 'a successful probe with the rate above the low mark lets the next probe through');
    let probes = 1;
    while (b.current === 'half_open' && probes < 200) {
      clock.advance(1_000);
      calls(b, '.');
      probes++;
    }
    assert.equal(b.current, 'closed');
    assert.ok(b.decayedRate() <= 0.1);
    assert.ok(probes > 5, `closed only after the rate decayed (${probes} probes)`);
    assert.equal(changes.at(-1)!.reason, 'probes_succeeded');
  });

  it('a failed probe re-opens it', () => {
    const { b, clock } = setup(red);
    calls(b, 'xxxxx');
    clock.advance(30_000);
    assert.equal(b.current, 'half_open');
    calls(b, 'x');
    assert.equal(b.current, 'open');
  });
});
