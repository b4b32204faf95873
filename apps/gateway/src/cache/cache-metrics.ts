import { Counter, type Registry } from 'prom-client';

/** Response cache lookups by route and result, read at scrape time. */
export function registerCacheMetrics(registry: Registry, cache: { readonly stats: ReadonlyMap<string, { hit: number; miss: number }> }): void {
  new Counter({
    name: 'brownout_cache_lookups_total',
    help: 'Requests that wanted a cached answer (degraded to cache, or stale-if-error) by route and result; stale answers served are brownout_degraded_responses_total{mode="cache"}',
    labelNames: ['route', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [route, s] of cache.stats) {
        this.labels(route, 'hit').inc(s.hit);
        this.labels(route, 'miss').inc(s.miss);
      }
    },
  });
}
