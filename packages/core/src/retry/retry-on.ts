/** Envoy `retry_on` conditions as bits, so a policy check is a mask test. */
export const RetryOn = {
  '5xx': 1,
  'gateway-error': 2,
  reset: 4,
  'connect-failure': 8,
  'retriable-4xx': 16,
  'retriable-status-codes': 32,
  'retriable-headers': 64,
  'refused-stream': 128,
  'reset-before-request': 256,
  'envoy-ratelimited': 512,
  // Envoy's gRPC conditions (x-envoy-retry-grpc-on), judged on `grpc-status` in the response headers.
  cancelled: 1024,
  'deadline-exceeded': 2048,
  internal: 4096,
  'resource-exhausted': 8192,
  unavailable: 16384,
} as const;
export type RetryOnName = keyof typeof RetryOn;

/** Every gRPC condition: a route with any of them judges 200 answers too (gRPC fails with HTTP 200). */
export const GRPC_RETRY_ON = RetryOn.cancelled | RetryOn['deadline-exceeded'] | RetryOn.internal | RetryOn['resource-exhausted'] | RetryOn.unavailable;

/** Conditions that may match any answer, not only an error status (gRPC fails with HTTP 200). */
export const RETRY_ON_ANY_STATUS = RetryOn['retriable-headers'] | GRPC_RETRY_ON;

/** The retry_on bit of a gRPC status, 0 for one no condition names. */
export function grpcRetryBit(code: number): number {
  switch (code) {
    case 1:
      return RetryOn.cancelled;
    case 4:
      return RetryOn['deadline-exceeded'];
    case 8:
      return RetryOn['resource-exhausted'];
    case 13:
      return RetryOn.internal;
    case 14:
      return RetryOn.unavailable;
    default:
      return 0;
  }
}

export const RETRY_ON_NAMES = Object.keys(RetryOn) as RetryOnName[];

export function isRetryOnName(s: string): s is RetryOnName {
  return Object.hasOwn(RetryOn, s);
}

/** Parses "5xx,reset" or a list into a mask. Unknown names throw: our config is validated, not lenient. */
export function parseRetryOn(value: string | readonly string[]): number {
  const names = typeof value === 'string' ? value.split(',') : value;
  let mask = 0;
  for (const raw of names) {
    const name = raw.trim();
    if (name === '') continue;
    if (!isRetryOnName(name)) throw new RangeError(`unknown retry_on condition "${name}"`);
    mask |= RetryOn[name];
  }
  return mask;
}

/**
 * Why an attempt ended without response headers (Appendix B of the Envoy notes maps undici errors
 * onto these). Overflow is deliberately absent: a breaker overflow is never retried.
 */
export const ResetKind = {
  ConnectFailure: 'connect_failure',
  Reset: 'reset',
  RefusedStream: 'refused_stream',
  PerTryTimeout: 'per_try_timeout',
} as const;
export type ResetKind = (typeof ResetKind)[keyof typeof ResetKind];
