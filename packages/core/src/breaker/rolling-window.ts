import { assertRange } from '../errors.ts';

/** Totals over the live part of a rolling window. Reused by the caller: no allocation per read. */
export interface WindowTotals {
  total: number;
  failures: number;
  slow: number;
  latencySum: number;
}

/**
 * Counts outcomes in a ring of time buckets covering `windowMs`. A bucket is reset lazily when its
 * slot is reused for a newer epoch, so recording costs a division and a few increments, no timers.
 */
export class RollingWindow {
  private readonly bucketMs: number;
  private readonly epochs: Float64Array;
  private readonly total: Float64Array;
  private readonly failures: Float64Array;
  private readonly slow: Float64Array;
  private readonly latency: Float64Array;

  constructor(windowMs: number, buckets: number) {
    assertRange('window buckets', buckets, 1, 1000);
    assertRange('window', windowMs, buckets);
    this.bucketMs = windowMs / buckets;
    this.epochs = new Float64Array(buckets).fill(-1);
    this.total = new Float64Array(buckets);
    this.failures = new Float64Array(buckets);
    this.slow = new Float64Array(buckets);
    this.latency = new Float64Array(buckets);
  }

  record(now: number, failure: boolean, slow: boolean, latencyMs = 0): void {
    const epoch = Math.floor(now / this.bucketMs);
    const i = epoch % this.epochs.length;
    if (this.epochs[i] !== epoch) {
      this.epochs[i] = epoch;
      this.total[i] = 0;
      this.failures[i] = 0;
      this.slow[i] = 0;
      this.latency[i] = 0;
    }
    this.total[i]!++;
    if (failure) this.failures[i]!++;
    if (slow) this.slow[i]!++;
    this.latency[i]! += latencyMs;
  }

  /** Fills `out` with the totals of buckets younger than the window. */
  totals(now: number, out: WindowTotals): WindowTotals {
    const current = Math.floor(now / this.bucketMs);
    const oldest = current - this.epochs.length + 1;
    out.total = 0;
    out.failures = 0;
    out.slow = 0;
    out.latencySum = 0;
    for (let i = 0; i < this.epochs.length; i++) {
      const e = this.epochs[i]!;
      if (e < oldest || e > current) continue;
      out.total += this.total[i]!;
      out.failures += this.failures[i]!;
      out.slow += this.slow[i]!;
      out.latencySum += this.latency[i]!;
    }
    return out;
  }

  reset(): void {
    this.epochs.fill(-1);
  }
}

export function emptyTotals(): WindowTotals {
  return { total: 0, failures: 0, slow: 0, latencySum: 0 };
}
