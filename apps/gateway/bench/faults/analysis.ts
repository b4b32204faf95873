/**
 * What the scorecard reports for one run: failures and latency per phase, and what happened to
 * the faulty host — how long until it stopped getting traffic, how many requests reached it, how
 * long after recovery it was back in rotation. Pure functions over the load samples and the
 * hosts' arrival times, so the smoke test can check them on a real run.
 */
import type { Sample } from './load.ts';

export interface Timeline {
  /** Epoch ms the load started. */
  readonly start: number;
  readonly faultAt: number;
  readonly recoverAt: number;
  readonly end: number;
}

export interface PhaseStats {
  readonly requests: number;
  /** Non-2xx answers, errors and client timeouts. */
  readonly failures: number;
  readonly degraded: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface BadHostStats {
  /** Requests (not health checks) that reached the faulty host during the fault. */
  readonly requestsDuringFault: number;
  /** ms from fault start until the first ≥ 1 s without a request to it (null: it never went quiet). */
  readonly stoppedAfterMs: number | null;
  /** ms from recovery until its first request (null: not back before the run ended). */
  readonly backAfterMs: number | null;
  /**
   * From 2 s after the fault started until recovery: the requests that reached it as a percentage of
   * its fair share (a third of the requests sent in that window). Issue 23's goal for a flaky host: < 10.
   */
  readonly shareAfter2sPct: number | null;
}

/** How long after the fault starts the bad host's share of traffic is judged (issue 23: within 2 s). */
export const SHARE_AFTER_MS = 2_000;
const HOSTS = 3;

export interface RunStats {
  readonly steady: PhaseStats;
  readonly fault: PhaseStats;
  readonly recovery: PhaseStats;
  readonly all: PhaseStats;
  readonly badHost: BadHostStats;
}

export const QUIET_MS = 1_000;

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const ok = (s: Sample): boolean => s.status >= 200 && s.status < 300;

export function phaseStats(samples: readonly Sample[]): PhaseStats {
  const ms = samples.map(s => s.ms).sort((a, b) => a - b);
  return {
    requests: samples.length,
    failures: samples.filter(s => !ok(s)).length,
    degraded: samples.filter(s => s.degraded).length,
    p50: round(quantile(ms, 0.5)),
    p99: round(quantile(ms, 0.99)),
    max: round(ms.at(-1) ?? 0),
  };
}

export function badHostStats(hits: readonly number[], t: Timeline, samples: readonly Sample[] = []): BadHostStats {
  const during = hits.filter(h => h >= t.faultAt && h < t.recoverAt);
  // The first quiet second: the start of the first gap of QUIET_MS without a request to it.
  let stopped: number | null = null;
  let last = t.faultAt;
  for (const h of during) {
    if (h - last >= QUIET_MS) {
      stopped = round(last - t.faultAt);
      break;
    }
    last = h;
  }
  if (stopped === null && t.recoverAt - last >= QUIET_MS) stopped = round(last - t.faultAt);
  const back = hits.find(h => h >= t.recoverAt);
  const from = t.faultAt + SHARE_AFTER_MS;
  const sent = samples.filter(x => x.at >= from && x.at < t.recoverAt).length;
  const got = hits.filter(h => h >= from && h < t.recoverAt).length;
  return {
    requestsDuringFault: during.length,
    stoppedAfterMs: stopped,
    backAfterMs: back === undefined ? null : round(back - t.recoverAt),
    shareAfter2sPct: sent === 0 ? null : round((got * 100) / (sent / HOSTS)),
  };
}

export function runStats(samples: readonly Sample[], badHostHits: readonly number[], t: Timeline): RunStats {
  return {
    steady: phaseStats(samples.filter(s => s.at < t.faultAt)),
    fault: phaseStats(samples.filter(s => s.at >= t.faultAt && s.at < t.recoverAt)),
    recovery: phaseStats(samples.filter(s => s.at >= t.recoverAt)),
    all: phaseStats(samples),
    badHost: badHostStats(badHostHits, t, samples),
  };
}

export interface SeriesPoint {
  /** Seconds from the start of the load. */
  readonly t: number;
  /** Share of requests due in this bucket that succeeded, in percent. */
  readonly success: number;
  readonly p99: number;
}

/** Success rate and p99 per bucket of due time, for the charts. */
export function series(samples: readonly Sample[], t: Timeline, bucketMs = 250): SeriesPoint[] {
  const n = Math.ceil((t.end - t.start) / bucketMs);
  const buckets: Sample[][] = Array.from({ length: n }, () => []);
  for (const s of samples) buckets[Math.min(n - 1, Math.max(0, Math.floor((s.at - t.start) / bucketMs)))]!.push(s);
  return buckets.map((b, i) => {
    const ms = b.map(s => s.ms).sort((x, y) => x - y);
    return { t: ((i + 0.5) * bucketMs) / 1000, success: b.length === 0 ? 100 : round((100 * b.filter(ok).length) / b.length), p99: round(quantile(ms, 0.99)) };
  });
}

/**
 * Median over repetitions, null counting as "never" (infinitely late): with two runs, one that
 * never got there makes the median never too.
 */
export function median(values: readonly (number | null)[]): number | null {
  const v = [...values].sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b));
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const lo = (v.length % 2 ? v[mid] : v[mid - 1]) ?? null;
  const hi = v[mid] ?? null;
  return lo === null || hi === null ? null : round((lo + hi) / 2);
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
