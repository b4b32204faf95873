import { randomInt, type Random } from '../random.ts';

/**
 * Envoy's current JitteredExponentialBackOffStrategy: each draw is uniform in [0, b) where b
 * starts at `base` and doubles until it reaches `max`. With 25/250 the ranges are [0,25), [0,50),
 * [0,100), [0,200), [0,250), [0,250)… (Envoy's docs describe an older (2^N−1)·base formula).
 */
export class ExponentialBackoff {
  private next: number;
  private readonly base: number;
  private readonly max: number;
  private readonly random: Random;

  constructor(baseMs: number, maxMs: number, random: Random) {
    // Envoy rounds a base under 1 ms up to 1 ms.
    this.base = Math.max(1, baseMs);
    this.max = Math.max(this.base, maxMs);
    this.next = this.base;
    this.random = random;
  }

  /** Upper bound (exclusive) of the next draw; for tests and logs. */
  get nextBound(): number {
    return this.next;
  }

  nextDelay(): number {
    const b = this.next;
    this.next = b < this.max / 2 ? b * 2 : this.max;
    return randomInt(this.random, b);
  }

  reset(): void {
    this.next = this.base;
  }
}

export type ResetHeaderFormat = 'SECONDS' | 'UNIX_TIMESTAMP';

export interface ResetHeader {
  readonly name: string;
  readonly format: ResetHeaderFormat;
}

/**
 * Reads a rate-limit reset interval from response headers, the first configured header that parses
 * and is ≤ maxMs winning (Envoy parseResetInterval). `Retry-After` in HTTP-date form is accepted
 * too, which Envoy does not do, because that is what RFC 9110 lets servers send.
 */
export function parseResetInterval(
  headers: readonly ResetHeader[],
  get: (name: string) => string | undefined,
  maxMs: number,
  wallNowMs: number,
): number | undefined {
  for (const h of headers) {
    const raw = get(h.name);
    if (raw === undefined) continue;
    let ms: number | undefined;
    const trimmed = raw.trim();
    if (/^\d+$/.test(trimmed)) {
      const n = Number(trimmed);
      ms = h.format === 'SECONDS' ? n * 1000 : n * 1000 - wallNowMs;
    } else if (h.format === 'SECONDS') {
      const date = Date.parse(trimmed);
      if (!Number.isNaN(date)) ms = date - wallNowMs;
    }
    if (ms === undefined || ms < 0 || ms > maxMs) continue;
    return ms;
  }
  return undefined;
}

/** Delay for a rate-limited retry: uniform in [i, 1.5·i) (Envoy JitteredLowerBoundBackOffStrategy). */
export function rateLimitedDelay(intervalMs: number, random: Random): number {
  return intervalMs + randomInt(random, Math.floor(intervalMs / 2));
}
