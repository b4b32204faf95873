/** Header carrying the caller's remaining time budget in milliseconds, inbound and outbound. */
export const DEADLINE_HEADER = 'x-brownout-deadline-ms';

/**
 * Parses an incoming deadline header: a non-negative integer of milliseconds. Anything else is
 * ignored (returns undefined) rather than failing the request — the header is advisory.
 */
export function parseDeadlineHeader(value: string | undefined): number | undefined {
  if (value === undefined || value.length === 0 || value.length > 10) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(value);
}

/**
 * The time budget of one request: the route timeout covers every attempt and back-off (Envoy's
 * global timeout), shortened by a caller's deadline so we never wait longer than the caller will.
 * 0 as a route timeout disables it (Envoy), leaving only a caller deadline if one came in.
 */
export class Deadline {
  readonly startedAt: number;
  /** Total budget in ms; Infinity when there is none. */
  readonly budget: number;

  /**
   * True when the caller's deadline, not the route timeout, bounds the request: running out of it
   * is the caller's doing, never a host's (it must not feed outlier detection, the breaker or rules).
   */
  readonly callerBound: boolean;

  constructor(now: number, routeTimeoutMs: number, incomingDeadlineMs?: number) {
    this.startedAt = now;
    const route = routeTimeoutMs > 0 ? routeTimeoutMs : Infinity;
    this.callerBound = incomingDeadlineMs !== undefined && incomingDeadlineMs < route;
    this.budget = incomingDeadlineMs === undefined ? route : Math.min(route, incomingDeadlineMs);
  }

  remaining(now: number): number {
    return Math.max(0, this.startedAt + this.budget - now);
  }

  expired(now: number): boolean {
    return now - this.startedAt >= this.budget;
  }

  /**
   * Timeout for the next attempt: the per-try timeout, never beyond what is left. A per-try timeout
   * at or above the route timeout is ignored, as Envoy does.
   */
  attemptTimeout(now: number, perTryMs: number): number {
    const left = this.remaining(now);
    if (perTryMs <= 0 || perTryMs >= this.budget) return left;
    return Math.min(perTryMs, left);
  }

  /**
   * What to forward downstream in DEADLINE_HEADER (Envoy's x-envoy-expected-rq-timeout-ms):
   * the attempt's own timeout, so deeper calls get shorter budgets. Undefined when unbounded.
   */
  downstreamBudget(now: number, perTryMs: number, hedging = false): number | undefined {
    const t = hedging ? this.remaining(now) : this.attemptTimeout(now, perTryMs);
    return Number.isFinite(t) ? Math.floor(t) : undefined;
  }
}
