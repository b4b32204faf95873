import { Counter, type Registry } from 'prom-client';
import type { FailOpenStats } from '@brownout/core';

/** Shared (Redis) rate limiter outcomes per route, including how often it failed open, read at scrape time. */
export function registerLimiterMetrics(registry: Registry, limiters: ReadonlyMap<string, { readonly stats: FailOpenStats }>): void {
  new Counter({
    name: 'brownout_distributed_rate_limit_total',
    help: 'Distributed rate-limit decisions: ok, over_limit, failure_mode_allowed (Redis slow or down)',
    labelNames: ['route', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [route, l] of limiters) for (const [k, v] of Object.entries(l.stats) as [string, number][]) this.labels(route, k).inc(v);
    },
  });
}
