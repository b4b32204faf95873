import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedRandom, SeededRandom } from '../testing/index.ts';
import { ResourceLimits, THRESHOLD_DEFAULTS } from '../limits/resource-limits.ts';
import { ExponentialBackoff, parseResetInterval, rateLimitedDelay } from './backoff.ts';
import { parseRetryOn, ResetKind } from './retry-on.ts';
import { RETRY_POLICY_DEFAULTS, type RetryPolicy } from './retry-policy.ts';
import { emptyRetryStats, NoRetry, RetryState } from './retry-state.ts';

const none = (): undefined => undefined;
const headers = (h: Record<string, string>) => (n: string) => h[n];

function state(p: Partial<RetryPolicy> & { on: string }, method = 'GET', limits = new ResourceLimits(THRESHOLD_DEFAULTS)) {
  const policy: RetryPolicy = { ...RETRY_POLICY_DEFAULTS, ...p, retry_on: parseRetryOn(p.on) };
  const stats = emptyRetryStats();
  return { rs: new RetryState(policy, method, limits, new SeededRandom(5), stats), stats, limits };
}

describe('ExponentialBackoff', () => {
  it('draws from [0,25), [0,50), [0,100), [0,200), [0,250), [0,250) with the defaults', () => {
    const b = new ExponentialBackoff(25, 250, new SeededRandom(1));
    const bounds: number[] = [];
    for (let i = 0; i < 6; i++) {
      bounds.push(b.nextBound);
      const d = b.nextDelay();
      assert.ok(d >= 0 && d < bounds.at(-1)!, `draw ${d} within [0, ${bounds.at(-1)})`);
    }
    assert.deepEqual(bounds, [25, 50, 100, 200, 250, 250]);
  });

  it('reaches the top of the range with a draw just under 1, and 0 with a draw of 0', () => {
    const b = new ExponentialBackoff(25, 250, new ScriptedRandom([0.9999, 0]));
    assert.equal(b.nextDelay(), 24);
    assert.equal(b.nextDelay(), 0);
  });

  it('rounds a sub-millisecond base up to 1 ms', () => {
    const b = new ExponentialBackoff(0, 10, new SeededRandom(1));
    assert.equal(b.nextBound, 1);
  });
});

describe('rate-limited back-off', () => {
  const h = [{ name: 'retry-after', format: 'SECONDS' as const }, { name: 'x-ratelimit-reset', format: 'UNIX_TIMESTAMP' as const }];
  it('reads seconds, HTTP dates and unix timestamps; skips values over max_interval', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    assert.equal(parseResetInterval(h, headers({ 'retry-after': '3' }), 300_000, now), 3_000);
    assert.equal(parseResetInterval(h, headers({ 'retry-after': 'Sun, 22 Nov 2026 10:00:05 GMT' }), 300_000, now), 5_000);
    assert.equal(
      parseResetInterval(h, headers({ 'retry-after': '9999', 'x-ratelimit-reset': String(now / 1000 + 7) }), 300_000, now),
      7_000,
      'first header over the max is discarded and the next one tried',
    );
    assert.equal(parseResetInterval(h, headers({ 'retry-after': 'soon' }), 300_000, now), undefined);
  });
  it('delays in [i, 1.5·i)', () => {
    assert.equal(rateLimitedDelay(1_000, new ScriptedRandom([0])), 1_000);
    assert.equal(rateLimitedDelay(1_000, new ScriptedRandom([0.9999])), 1_499);
  });
});

describe('RetryState', () => {
  it('retries 5xx up to num_retries, then reports the limit', () => {
    const { rs, stats } = state({ on: '5xx', num_retries: 2 });
    assert.ok(rs.onResponse(500, none, 10_000) >= 0);
    assert.ok(rs.onResponse(503, none, 10_000) >= 0);
    assert.equal(rs.onResponse(500, none, 10_000), NoRetry.LimitExceeded);
    assert.equal(stats.upstream_rq_retry, 2);
    assert.equal(stats.upstream_rq_retry_limit_exceeded, 1);
  });

  it('a retry to a host not tried yet does not back off; the same host (or every host tried) does', () => {
    const draw = new ScriptedRandom([0.99, 0.99, 0.99]);
    const policy: RetryPolicy = { ...RETRY_POLICY_DEFAULTS, num_retries: 3, retry_on: parseRetryOn('5xx') };
    const stats = emptyRetryStats();
    const rs = new RetryState(policy, 'GET', new ResourceLimits(THRESHOLD_DEFAULTS), draw, stats);
    assert.equal(rs.onResponse(503, none, 10_000, true), 0, 'another host: at once');
    assert.equal(rs.onReset(ResetKind.ConnectFailure, false, 10_000, true), 0);
    assert.equal(rs.onResponse(503, none, 10_000, false), 24, 'no other host left: the first back-off step, [0,25)');
    assert.equal(stats.upstream_rq_retry_backoff_exponential, 1);
    const envoy: RetryPolicy = { ...policy, retry_back_off: { ...policy.retry_back_off, apply_to_other_hosts: true } };
    const rs2 = new RetryState(envoy, 'GET', new ResourceLimits(THRESHOLD_DEFAULTS), new ScriptedRandom([0.99]), emptyRetryStats());
    assert.equal(rs2.onResponse(503, none, 10_000, true), 24, "apply_to_other_hosts: Envoy's behaviour");
  });

  it('a rate-limited retry waits as the server asked even when another host is free', () => {
    const { rs } = state({
      on: 'retriable-status-codes',
      retriable_status_codes: [429],
      rate_limited_retry_back_off: { reset_headers: [{ name: 'retry-after', format: 'SECONDS' }], max_interval: 300_000 },
    });
    assert.ok(rs.onResponse(429, headers({ 'retry-after': '2' }), 10_000, true) >= 2_000);
  });

  it('gateway-error matches only 502/503/504; retriable-4xx only 409', () => {
    const a = state({ on: 'gateway-error,retriable-4xx', num_retries: 10 });
    assert.equal(a.rs.onResponse(500, none, 1e9), NoRetry.NotRetriable);
    for (const s of [502, 503, 504, 409]) assert.ok(a.rs.onResponse(s, none, 1e9) >= 0, `status ${s}`);
    assert.equal(a.rs.onResponse(429, none, 1e9), NoRetry.NotRetriable);
  });

  it('retriable status codes and headers', () => {
    const a = state({
      on: 'retriable-status-codes,retriable-headers',
      num_retries: 10,
      retriable_status_codes: [429],
      retriable_headers: [{ name: 'x-retry-me' }, { name: 'x-mode', exact: 'busy' }],
    });
    assert.ok(a.rs.onResponse(429, none, 1e9) >= 0);
    assert.ok(a.rs.onResponse(200, headers({ 'x-retry-me': '' }), 1e9) >= 0);
    assert.equal(a.rs.onResponse(200, headers({ 'x-mode': 'idle' }), 1e9), NoRetry.NotRetriable);
    assert.ok(a.rs.onResponse(200, headers({ 'x-mode': 'busy' }), 1e9) >= 0);
  });

  it('a response marked x-envoy-ratelimited is retried only with envoy-ratelimited', () => {
    assert.equal(state({ on: '5xx' }).rs.onResponse(503, headers({ 'x-envoy-ratelimited': 'true' }), 1e9), NoRetry.NotRetriable);
    assert.ok(state({ on: 'envoy-ratelimited' }).rs.onResponse(429, headers({ 'x-envoy-ratelimited': 'true' }), 1e9) >= 0);
  });

  it('reset conditions: connect-failure, refused-stream, reset-before-request, and 5xx covering resets', () => {
    assert.ok(state({ on: 'connect-failure' }).rs.onReset(ResetKind.ConnectFailure, false, 1e9) >= 0);
    assert.equal(state({ on: 'connect-failure' }).rs.onReset(ResetKind.Reset, true, 1e9), NoRetry.NotRetriable);
    assert.ok(state({ on: 'refused-stream' }).rs.onReset(ResetKind.RefusedStream, true, 1e9) >= 0);
    assert.ok(state({ on: 'reset-before-request' }).rs.onReset(ResetKind.Reset, false, 1e9) >= 0);
    assert.equal(state({ on: 'reset-before-request' }).rs.onReset(ResetKind.Reset, true, 1e9), NoRetry.NotRetriable);
    assert.ok(state({ on: '5xx' }).rs.onReset(ResetKind.PerTryTimeout, true, 1e9) >= 0);
    assert.ok(state({ on: 'reset' }).rs.onReset(ResetKind.ConnectFailure, true, 1e9) >= 0);
  });

  it('does not retry non-idempotent methods unless the route allows it', () => {
    assert.equal(state({ on: '5xx' }, 'POST').rs.onResponse(503, none, 1e9), NoRetry.NotRetriable);
    assert.ok(state({ on: '5xx', retry_non_idempotent: true }, 'POST').rs.onResponse(503, none, 1e9) >= 0);
    assert.ok(state({ on: '5xx' }, 'PUT').rs.onResponse(503, none, 1e9) >= 0);
  });

  it('holds a retry slot until the next decision and reports overflow when the cluster is full', () => {
    const limits = new ResourceLimits({ ...THRESHOLD_DEFAULTS, max_retries: 1, retry_budget: undefined });
    const a = state({ on: '5xx', num_retries: 3 }, 'GET', limits);
    const b = state({ on: '5xx', num_retries: 3 }, 'GET', limits);
    assert.ok(a.rs.onResponse(503, none, 1e9) >= 0);
    assert.equal(limits.retries, 1);
    assert.equal(b.rs.onResponse(503, none, 1e9), NoRetry.Overflow);
    assert.equal(a.rs.onResponse(200, none, 1e9), NoRetry.NotRetriable);
    assert.equal(a.stats.upstream_rq_retry_success, 1);
    assert.equal(limits.retries, 0, 'slot released at the next decision');
    assert.ok(b.rs.onResponse(503, none, 1e9) >= 0);
    b.rs.release();
    assert.equal(limits.retries, 0);
  });

  it('uses Retry-After when rate_limited_retry_back_off is configured', () => {
    const { rs, stats } = state({
      on: 'retriable-status-codes',
      retriable_status_codes: [429],
      rate_limited_retry_back_off: { reset_headers: [{ name: 'retry-after', format: 'SECONDS' }], max_interval: 300_000 },
    });
    const d = rs.onResponse(429, headers({ 'retry-after': '2' }), 10_000);
    assert.ok(d >= 2_000 && d < 3_000, `delay ${d}`);
    assert.equal(stats.upstream_rq_retry_backoff_ratelimited, 1);
  });

  it('gives up rather than back off past the deadline', () => {
    const { rs } = state({
      on: 'retriable-status-codes',
      retriable_status_codes: [503],
      rate_limited_retry_back_off: { reset_headers: [{ name: 'retry-after', format: 'SECONDS' }], max_interval: 300_000 },
    });
    assert.equal(rs.onResponse(503, headers({ 'retry-after': '5' }), 4_000), NoRetry.DeadlineExceeded);
  });

  it('retry_on empty never retries', () => {
    assert.equal(state({ on: '' }).rs.onResponse(503, none, 1e9), NoRetry.NotRetriable);
    assert.throws(() => parseRetryOn('5xx,bogus'), /unknown retry_on condition "bogus"/);
  });
});
