import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Admission, ClusterLimits, ResourceLimits, THRESHOLD_DEFAULTS } from './resource-limits.ts';

describe('ResourceLimits', () => {
  it('admits up to max_requests and reports overflow as its own result', () => {
    const l = new ResourceLimits({ ...THRESHOLD_DEFAULTS, max_requests: 2 });
    assert.equal(l.tryAcquireRequest(), Admission.Admitted);
    assert.equal(l.tryAcquireRequest(), Admission.Admitted);
    assert.equal(l.tryAcquireRequest(), Admission.RequestOverflow);
    assert.equal(l.stats.upstream_rq_overflow, 1);
    l.releaseRequest();
    assert.equal(l.tryAcquireRequest(), Admission.Admitted);
  });

  it('max_pending_requests 0 rejects any queueing', () => {
    const l = new ResourceLimits({ ...THRESHOLD_DEFAULTS, max_pending_requests: 0 });
    assert.equal(l.tryAcquirePending(), Admission.PendingOverflow);
    assert.equal(l.stats.upstream_rq_pending_overflow, 1);
  });

  it('lets a host with no connection open one over the limit', () => {
    const l = new ResourceLimits({ ...THRESHOLD_DEFAULTS, max_connections: 1 });
    assert.equal(l.tryAcquireConnection(), true);
    assert.equal(l.tryAcquireConnection(), false);
    assert.equal(l.tryAcquireConnection(true), true);
    assert.equal(l.stats.upstream_cx_overflow, 1);
  });

  it('caps concurrent retries at max_retries when no budget is set (Envoy\'s fixed limit)', () => {
    const l = new ResourceLimits({ ...THRESHOLD_DEFAULTS, retry_budget: undefined });
    assert.equal([1, 2, 3, 4].map(() => l.tryAcquireRetry()).join(), 'true,true,true,false');
    assert.equal(l.stats.upstream_rq_retry_overflow, 1);
    l.releaseRetry();
    assert.equal(l.tryAcquireRetry(), true);
  });

  it('defaults to a budget that takes a burst of 20 concurrent retries and caps at half the traffic', () => {
    const l = new ResourceLimits(THRESHOLD_DEFAULTS);
    for (let i = 0; i < 20; i++) l.tryAcquireRequest();
    assert.equal(Array.from({ length: 20 }, () => l.tryAcquireRetry()).every(Boolean), true);
    assert.equal(l.stats.upstream_rq_retry_overflow, 0);
    for (let i = 0; i < 180; i++) l.tryAcquireRequest();
    assert.equal(l.maxRetries(), 100, '50% of 200 active requests');
  });

  it('retry budget: max(floor(budget% × (active + pending)), min_retry_concurrency)', () => {
    const l = new ResourceLimits({ ...THRESHOLD_DEFAULTS, max_retries: 100, retry_budget: { budget_percent: 20, min_retry_concurrency: 3 } });
    assert.equal(l.maxRetries(), 3, 'idle cluster gets the minimum');
    for (let i = 0; i < 14; i++) l.tryAcquireRequest();
    assert.equal(l.maxRetries(), 3, '20% of 14 = 2.8 → 2, below the minimum 3');
    for (let i = 0; i < 6; i++) l.tryAcquirePending();
    assert.equal(l.maxRetries(), 4, '20% of 20 = 4');
    for (let i = 0; i < 5; i++) l.tryAcquireRequest();
    assert.equal(l.maxRetries(), 5, '20% of 25 = 5');
    assert.equal([1, 2, 3, 4, 5, 6].map(() => l.tryAcquireRetry()).filter(Boolean).length, 5);
    assert.equal(l.remaining().retries, 0);
  });

  it('keeps counts across a config update', () => {
    const l = new ResourceLimits({ ...THRESHOLD_DEFAULTS, max_requests: 5 });
    l.tryAcquireRequest();
    l.tryAcquireRequest();
    l.updateConfig({ ...THRESHOLD_DEFAULTS, max_requests: 2 });
    assert.equal(l.tryAcquireRequest(), Admission.RequestOverflow);
  });

  it('keeps high and default priorities separate', () => {
    const c = new ClusterLimits({ ...THRESHOLD_DEFAULTS, max_requests: 1 }, { ...THRESHOLD_DEFAULTS, max_requests: 1 });
    assert.equal(c.forPriority('default').tryAcquireRequest(), Admission.Admitted);
    assert.equal(c.forPriority('high').tryAcquireRequest(), Admission.Admitted);
    assert.equal(c.forPriority('default').tryAcquireRequest(), Admission.RequestOverflow);
  });

  it('maps route priorities onto the two sets: critical and high share the high one', () => {
    const c = new ClusterLimits(THRESHOLD_DEFAULTS, THRESHOLD_DEFAULTS);
    assert.deepEqual((['critical', 'high', 'normal', 'low'] as const).map(p => c.forRoute(p) === c.high), [true, true, false, false]);
  });

  it('rejects out-of-range thresholds', () => {
    assert.throws(() => new ResourceLimits({ ...THRESHOLD_DEFAULTS, max_requests: 0 }), /max_requests must be in/);
    assert.throws(
      () => new ResourceLimits({ ...THRESHOLD_DEFAULTS, retry_budget: { budget_percent: 120, min_retry_concurrency: 1 } }),
      /budget_percent/,
    );
  });
});
