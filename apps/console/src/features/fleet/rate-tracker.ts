import type { InstanceStatus } from './instance-status.ts';

interface Sample {
  readonly at: number;
  readonly total: number;
  readonly errors: number;
  readonly degraded: number;
  readonly latency: readonly number[];
}

export interface RouteRates {
  readonly rps: number;
  readonly errorRatio: number | null;
  readonly degradedRate: number;
  readonly p99Ms: number | null;
}

/** Rates look back this far (and at least MIN_SPAN_MS), so a poll every second gives a steady figure. */
const WINDOW_MS = 10_000;
const MIN_SPAN_MS = 900;

/**
 * The q-quantile of a histogram given as non-cumulative bucket counts (the last one +Inf), with
 * linear interpolation inside the bucket, as Prometheus' histogram_quantile does. In the bounds' unit.
 */
export function histogramQuantile(q: number, bounds: readonly number[], counts: readonly number[]): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (seen + c >= rank && c > 0) {
      if (i >= bounds.length) return bounds.at(-1) ?? null; // in +Inf: the highest finite bound is all we know
      const lo = i === 0 ? 0 : bounds[i - 1]!;
      return lo + (bounds[i]! - lo) * ((rank - seen) / c);
    }
    seen += c;
  }
  return bounds.at(-1) ?? null;
}

/**
 * Request rate, error ratio, degraded-answer rate and p99 per route, from the cumulative counters
 * each gateway reports: the difference between samples over time, summed across instances. A
 * counter that went down (a restarted gateway) starts over instead of yielding a negative rate.
 */
export class RateTracker {
  private readonly samples = new Map<string, Sample[]>();
  private readonly perRoute = new Map<string, RouteRates>();
  /** When each instance was last observed: a route that first appears since then started from zero then. */
  private readonly instanceSeen = new Map<string, number>();

  observe(instances: readonly InstanceStatus[], now: number): void {
    this.perRoute.clear();
    const sums = new Map<string, { rps: number; total: number; errors: number; degradedRate: number; latency: number[]; bounds: readonly number[]; known: boolean }>();
    for (const s of instances) {
      const bounds = s.route_detail?.latency_bounds_s ?? [];
      for (const [route, c] of Object.entries(s.routes)) {
        const total = (c['2xx'] ?? 0) + (c['3xx'] ?? 0) + (c['4xx'] ?? 0) + (c['5xx'] ?? 0);
        const detail = s.route_detail?.routes[route];
        const sample: Sample = { at: now, total, errors: c['5xx'] ?? 0, degraded: detail?.degraded ?? 0, latency: detail?.latency ?? [] };
        const key = `${s.instance}\u0000${route}`;
        let list = this.samples.get(key);
        if (!list) {
          // A route's counters appear with its first request: if this instance was read before
          // without them, they were zero then, and that first burst is a rate, not a baseline.
          const seen = this.instanceSeen.get(s.instance);
          list = seen !== undefined && now - seen < WINDOW_MS ? [{ at: seen, total: 0, errors: 0, degraded: 0, latency: [] }] : [];
        }
        const last = list.at(-1);
        if (last && total < last.total) list = [];
        if (!last || now - last.at >= 200) list.push(sample);
        while (list.length > 2 && now - list[1]!.at >= WINDOW_MS) list.shift();
        this.samples.set(key, list);
        const first = list[0]!;
        const newest = list.at(-1)!;
        const span = newest.at - first.at;
        const sum = sums.get(route) ?? { rps: 0, total: 0, errors: 0, degradedRate: 0, latency: [], bounds, known: false };
        if (span >= MIN_SPAN_MS) {
          sum.rps += ((newest.total - first.total) * 1_000) / span;
          sum.degradedRate += ((newest.degraded - first.degraded) * 1_000) / span;
          sum.total += newest.total - first.total;
          sum.errors += newest.errors - first.errors;
          for (let i = 0; i < newest.latency.length; i++) sum.latency[i] = (sum.latency[i] ?? 0) + newest.latency[i]! - (first.latency[i] ?? 0);
          sum.known = true;
        }
        sums.set(route, sum);
      }
    }
    for (const s of instances) this.instanceSeen.set(s.instance, now);
    for (const [route, s] of sums) {
      if (!s.known) continue;
      const p99 = histogramQuantile(0.99, s.bounds, s.latency);
      this.perRoute.set(route, { rps: s.rps, errorRatio: s.total > 0 ? s.errors / s.total : null, degradedRate: s.degradedRate, p99Ms: p99 === null ? null : p99 * 1_000 });
    }
  }

  route(name: string): RouteRates | undefined {
    return this.perRoute.get(name);
  }
}
