import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateTracker, histogramQuantile } from '@/features/fleet/rate-tracker.ts';
import { parseInstances } from '@/features/fleet/instance-status.ts';

const BOUNDS = [0.001, 0.01, 0.1, 1];
const status = (instance: string, routes: Record<string, { ok: number; errors: number; degraded: number; latency: number[] }>) =>
  parseInstances([
    {
      instance,
      routes: Object.fromEntries(Object.entries(routes).map(([r, c]) => [r, { '2xx': c.ok, '3xx': 0, '4xx': 0, '5xx': c.errors }])),
      route_detail: { latency_bounds_s: BOUNDS, routes: Object.fromEntries(Object.entries(routes).map(([r, c]) => [r, { degraded: c.degraded, latency: c.latency }])) },
    },
  ]);

describe('RateTracker: rates from the gateways cumulative counters', () => {
  it('derives request rate, 5xx ratio, degraded rate and p99 between two reads, summed across instances', () => {
    const t = new RateTracker();
    t.observe([...status('a', { r: { ok: 100, errors: 0, degraded: 0, latency: [0, 100, 0, 0, 0] } }), ...status('b', { r: { ok: 0, errors: 0, degraded: 0, latency: [0, 0, 0, 0, 0] } })], 0);
    assert.equal(t.route('r'), undefined, 'one read is not a rate');
    t.observe([...status('a', { r: { ok: 190, errors: 10, degraded: 5, latency: [0, 190, 9, 1, 0] } }), ...status('b', { r: { ok: 100, errors: 0, degraded: 0, latency: [0, 100, 0, 0, 0] } })], 2_000);
    const r = t.route('r')!;
    assert.equal(r.rps, (100 + 100) / 2);
    assert.equal(r.errorRatio, 10 / 200);
    assert.equal(r.degradedRate, 2.5);
    // 200 new observations: 190 in (1, 10] ms, 9 in (10, 100] ms, 1 in (100 ms, 1 s]: p99 is rank 198, in the second bucket.
    assert.ok(r.p99Ms! > 10 && r.p99Ms! <= 100, String(r.p99Ms));
  });

  it('counts a route first seen after an instance was already read (its first burst is traffic, not a baseline)', () => {
    const t = new RateTracker();
    t.observe(status('a', { other: { ok: 1, errors: 0, degraded: 0, latency: [] } }), 0);
    t.observe(status('a', { other: { ok: 1, errors: 0, degraded: 0, latency: [] }, r: { ok: 15, errors: 15, degraded: 0, latency: [] } }), 1_000);
    assert.equal(t.route('r')!.rps, 30);
    assert.equal(t.route('r')!.errorRatio, 0.5);
  });

  it('starts over when a counter goes down (a restarted gateway) instead of reporting a negative rate', () => {
    const t = new RateTracker();
    t.observe(status('a', { r: { ok: 1_000, errors: 0, degraded: 0, latency: [] } }), 0);
    t.observe(status('a', { r: { ok: 10, errors: 0, degraded: 0, latency: [] } }), 1_000);
    assert.equal(t.route('r'), undefined);
    t.observe(status('a', { r: { ok: 30, errors: 0, degraded: 0, latency: [] } }), 2_000);
    assert.equal(t.route('r')!.rps, 20);
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket holding the rank, as Prometheus does', () => {
    assert.equal(histogramQuantile(0.5, [1, 2], [0, 10, 0]), 1.5);
    assert.equal(histogramQuantile(0.99, [1, 2], [0, 0, 5]), 2, 'in +Inf: the highest finite bound');
    assert.equal(histogramQuantile(0.99, [1, 2], [0, 0, 0]), null);
  });
});
