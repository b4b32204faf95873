import type { AnyRedis } from '../degradation/redis-connection.ts';

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
export const REPLAYED_HEADERS = ['content-type', 'content-language', 'content-encoding', 'etag', 'last-modified', 'vary'];

/**
 * The last good responses of cacheable requests, for the `cache` degradation mode and
 * stale-if-error. An in-process LRU answers synchronously in front of a Redis layer shared by
 * every gateway; concurrent misses for one key share a single Redis read, and a Redis read waits
 * at most `timeoutMs` (a cache that makes degradation slow defeats its purpose). Entries live for
 * the route's max staleness and are never errors or degraded answers: the caller only stores
 * genuine 200s.
 */
export class ResponseCache {
  private readonly memory = new Map<string, CachedResponse>();
  private readonly inflight = new Map<string, Promise<CachedResponse | undefined>>();
  private readonly redis: AnyRedis | undefined;
  private readonly maxEntries: number;
  private readonly timeoutMs: number;

  constructor(redis: AnyRedis | undefined, maxEntries = 10_000, timeoutMs = 20) {
    this.redis = redis;
    this.maxEntries = maxEntries;
    this.timeoutMs = timeoutMs;
  }

  static key(route: string, method: string, path: string, query: string, varyValues: string): string {
    return `brownout:v1:cache:${route}:${method}:${path}${query}${varyValues === '' ? '' : `|${varyValues}`}`;
  }

  /** Synchronous lookup in the in-process layer; undefined when absent or older than `maxAgeMs`. */
  peek(key: string, maxAgeMs: number, now = Date.now()): CachedResponse | undefined {
    const e = this.memory.get(key);
    if (!e) return undefined;
    if (now - e.storedAt > maxAgeMs) {
      this.memory.delete(key);
      return undefined;
    }
    return e;
  }

  /** In-process, then Redis (coalesced, bounded). Never rejects. */
  async lookup(key: string, maxAgeMs: number): Promise<CachedResponse | undefined> {
    const hit = this.peek(key, maxAgeMs);
    if (hit || !this.redis) return hit;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fromRedis(key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const e = await p;
    if (!e || Date.now() - e.storedAt > maxAgeMs) return undefined;
    this.remember(key, e);
    return e;
  }

  /** Stores a good response in both layers; the Redis write is fire-and-forget. */
  put(key: string, entry: CachedResponse, keepMs: number): void {
    this.remember(key, entry);
    if (!this.redis) return;
    const wire: Wire = { s: entry.status, h: entry.headers, b: entry.body.toString('base64'), t: entry.storedAt };
    this.redis.set(key, JSON.stringify(wire), 'PX', Math.max(1, Math.round(keepMs))).catch(() => undefined);
  }

  get size(): number {
    return this.memory.size;
  }

  private remember(key: string, e: CachedResponse): void {
    this.memory.delete(key);
    if (this.memory.size >= this.maxEntries) this.memory.delete(this.memory.keys().next().value!);
    this.memory.set(key, e);
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
