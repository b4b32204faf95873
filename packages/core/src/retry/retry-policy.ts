import type { ResetHeader } from './backoff.ts';

/** A response header matcher for `retriable_headers` (present, or an exact value). */
export interface HeaderMatcher {
  readonly name: string;
  readonly exact?: string | undefined;
}

/** A route's retry policy, resolved (durations in ms, `retry_on` as a RetryOn mask). */
export interface RetryPolicy {
  readonly retry_on: number;
  readonly num_retries: number;
  /** 0 means no per-try timeout. Ignored when ≥ the route timeout, as in Envoy. */
  readonly per_try_timeout: number;
  /**
   * `apply_to_other_hosts: false` (Brownout's default; Envoy always backs off): a retry that goes
   * to a host this request has not tried yet starts at once. Back-off exists to spare a struggling
   * host; another host is not struggling, and a client waiting tens of ms for nothing is the cost.
   * Back-off still applies to the same host, and once every host has been tried.
   */
  readonly retry_back_off: { readonly base_interval: number; readonly max_interval: number; readonly apply_to_other_hosts: boolean };
  readonly rate_limited_retry_back_off:
    | { readonly reset_headers: readonly ResetHeader[]; readonly max_interval: number }
    | undefined;
  readonly retriable_status_codes: readonly number[];
  readonly retriable_headers: readonly HeaderMatcher[];
  /** Pick a different host for each retry while one is available (Envoy's previous_hosts predicate). */
  readonly avoid_previous_hosts: boolean;
  readonly host_selection_retry_max_attempts: number;
  /** Retry POST/PATCH and other non-idempotent methods too. Off by default. */
  readonly retry_non_idempotent: boolean;
  /** On per-try timeout, start another attempt without cancelling the first; first good answer wins. */
  readonly hedge_on_per_try_timeout: boolean;
}

export const RETRY_POLICY_DEFAULTS: RetryPolicy = Object.freeze({
  retry_on: 0,
  num_retries: 1,
  per_try_timeout: 0,
  retry_back_off: Object.freeze({ base_interval: 25, max_interval: 250, apply_to_other_hosts: false }),
  rate_limited_retry_back_off: undefined,
  retriable_status_codes: [],
  retriable_headers: [],
  avoid_previous_hosts: true,
  host_selection_retry_max_attempts: 3,
  retry_non_idempotent: false,
  hedge_on_per_try_timeout: false,
});

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** RFC 9110 §9.2.2 idempotent methods; only these are retried unless the route allows more. */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}
