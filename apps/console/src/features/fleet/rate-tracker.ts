import type { InstanceStatus } from './instance-status.ts';

interface Sample {
  readonly at: number;
  readonly total: number;
  readonly errors: number;
}

/** Rates look back this far (and at least MIN_SPAN_MS), so a poll every second gives a steady figure. */
const WINDOW_MS = 10_000;
const MIN_SPAN_MS = 900;

/**
 * Request rate and error ratio per route, from the cumulative per-class counters each gateway
 * reports: the difference between samples over time, summed across instances. A counter that went
 * down (a restarted gateway) starts over instead of yielding a negative rate.
 */
export class RateTracker {
  private readonly samples = new Map<string, Sample[]>();
  private readonly perRoute = new Map<string, { rps: number; errorRatio: number | null }>();

  observe(instances: readonly InstanceStatus[], now: number): void {
    this.perRoute.clear();
    const sums = new Map<string, { rps: number; total: number; errors: number; known: boolean }>();
    for (const s of instances) {
      for (const [route, c] of Object.entries(s.routes)) {
        const total = (c['2xx'] ?? 0) + (c['3xx'] ?? 0) + (c['4xx'] ?? 0) + (c['5xx'] ?? 0);
        const errors = c['5xx'] ?? 0;
        const key = `${s.instance}\u0000${route}`;
        let list = this.samples.get(key) ?? [];
        const last = list.at(-1);
        if (last && total < last.total) list = [];
        if (!last || now - last.at >= 200) list.push({ at: now, total, errors });
        while (list.length > 2 && now - list[1]!.at >= WINDOW_MS) list.shift();
        this.samples.set(key, list);
        const first = list[0]!;
        const newest = list.at(-1)!;
        const span = newest.at - first.at;
        const sum = sums.get(route) ?? { rps: 0, total: 0, errors: 0, known: false };
        if (span >= MIN_SPAN_MS) {
          sum.rps += ((newest.total - first.total) * 1_000) / span;
          sum.total += newest.total - first.total;
          sum.errors += newest.errors - first.errors;
          sum.known = true;
        }
        sums.set(route, sum);
      }
    }
    for (const [route, s] of sums) if (s.known) this.perRoute.set(route, { rps: s.rps, errorRatio: s.total > 0 ? s.errors / s.total : null });
  }

  route(name: string): { rps: number; errorRatio: number | null } | undefined {
    return this.perRoute.get(name);
  }
}
