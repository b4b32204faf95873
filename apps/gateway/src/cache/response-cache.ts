import { CACHE_PREFIX, type AnyRedis } from '@brownout/control-plane';

/** A stored response: only what is needed to answer again, never hop-by-hop or per-client headers. */
export interface CachedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Wall-clock ms when it was stored (`age` is computed from it). */
  readonly storedAt: number;
}

interface Wire {
  s: number;
  h: Record<string, string>;
  b: string;
  t: number;
}

/** Response headers worth replaying from a cache entry. */
export const REPLAYED_HEADERS = ['content-type', 'content-language', 'content-encoding', 'etag', 'last-modified', 'vary', 'grpc-encoding'];

/**
 * The last good responses of cacheable requests, for the `cache` degradation mode and
 * stale-if-error. An in-process LRU answers synchronously in front of a Redis layer shared by
 * every gateway; concurrent misses for one key share a single Redis read, and a Redis read waits
 * at most `timeoutMs` (a cache that makes degradation slow defeats its purpose). Entries live for
 * the route's max staleness and are never errors or degraded answers: the caller only stores
 * genuine 200s.
 */
export class ResponseCache {
  /** In-process layer: one LRU per route, each bounded by that route's `max_entries`. */
  private readonly memory = new Map<string, Map<string, CachedResponse>>();
  /** Per route, whether a request that wanted a cached answer found one (read by the metrics at scrape time). */
  readonly stats = new Map<string, { hit: number; miss: number }>();

  /** Counts one request that wanted a cached answer (degraded to cache, or stale-if-error). */
  count(route: string, hit: boolean): void {
    let st = this.stats.get(route);
    if (!st) this.stats.set(route, (st = { hit: 0, miss: 0 }));
    if (hit) st.hit++;
    else st.miss++;
  }
  private readonly inflight = new Map<string, Promise<CachedResponse | undefined>>();
  private readonly redis: AnyRedis | undefined;
  private readonly timeoutMs: number;

  constructor(redis: AnyRedis | undefined, timeoutMs = 20) {
    this.redis = redis;
    this.timeoutMs = timeoutMs;
  }

  static key(route: string, method: string, path: string, query: string, varyValues: string): string {
    return `${CACHE_PREFIX}${route}:${method}:${path}${query}${varyValues === '' ? '' : `|${varyValues}`}`;
  }

  /** Synchronous lookup in the in-process layer; undefined when absent or older than `maxAgeMs`. */
  peek(route: string, key: string, maxAgeMs: number, now = Date.now()): CachedResponse | undefined {
    const m = this.memory.get(route);
    const e = m?.get(key);
    if (!e) return undefined;
    if (now - e.storedAt > maxAgeMs) {
      m!.delete(key);
      return undefined;
    }
    return e;
  }

  /** In-process, then Redis (coalesced, bounded). Never rejects. */
  async lookup(route: string, key: string, maxAgeMs: number, maxEntries: number): Promise<CachedResponse | undefined> {
    const hit = this.peek(route, key, maxAgeMs);
    if (hit || !this.redis) return hit;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fromRedis(key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const e = await p;
    if (!e || Date.now() - e.storedAt > maxAgeMs) return undefined;
    this.remember(route, key, e, maxEntries);
    return e;
  }

  /**
   * Stores a good response in both layers (the Redis write is fire-and-forget), unless the entry
   * we hold is younger than `refreshAfterMs` (the route's `ttl`): a hot route then costs one Redis
   * write per ttl, not one per request.
   */
  put(route: string, key: string, entry: CachedResponse, keepMs: number, refreshAfterMs: number, maxEntries: number): void {
    const held = this.memory.get(route)?.get(key);
    if (held && entry.storedAt - held.storedAt < refreshAfterMs) return;
    this.remember(route, key, entry, maxEntries);
    if (!this.redis) return;
    const wire: Wire = { s: entry.status, h: entry.headers, b: entry.body.toString('base64'), t: entry.storedAt };
    this.redis.set(key, JSON.stringify(wire), 'PX', Math.max(1, Math.round(keepMs))).catch(() => undefined);
  }

  size(route: string): number {
    return this.memory.get(route)?.size ?? 0;
  }

  private remember(route: string, key: string, e: CachedResponse, maxEntries: number): void {
    let m = this.memory.get(route);
    if (!m) {
      m = new Map();
      this.memory.set(route, m);
    }
    m.delete(key);
    if (m.size >= maxEntries) m.delete(m.keys().next().value!);
    m.set(key, e);
  }

  private async fromRedis(key: string): Promise<CachedResponse | undefined> {
    const redis = this.redis!;
    let timer: NodeJS.Timeout | undefined;
    try {
      const raw = await Promise.race([
        redis.get(key),
        new Promise<null>(resolve => {
          timer = setTimeout(resolve, this.timeoutMs, null);
        }),
      ]);
      if (raw === null) return undefined;
      const w = JSON.parse(raw) as Wire;
      return { status: w.s, headers: w.h, body: Buffer.from(w.b, 'base64'), storedAt: w.t };
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
