/** gRPC status codes (grpc/doc/statuscodes.md), as they travel in `grpc-status`. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatus = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/**
 * The HTTP status a gRPC status counts as, Envoy's table (Grpc::Utility::grpcToHttpStatus): what
 * outlier detection, the breaker and the metrics judge a gRPC answer by. A call the client
 * cancelled (499) or got wrong (4xx) is never the host's failure; UNAVAILABLE, INTERNAL, UNKNOWN,
 * DATA_LOSS and DEADLINE_EXCEEDED are.
 */
const HTTP_FOR_GRPC = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401] as const;

export function httpStatusForGrpc(code: number): number {
  return HTTP_FOR_GRPC[code] ?? 500;
}

/** `grpc-status` as sent (a decimal), or -1 when absent or not a status. */
export function parseGrpcStatus(value: string | undefined): number {
  if (value === undefined || !/^\d{1,2}$/.test(value)) return -1;
  const n = Number(value);
  return n <= 16 ? n : -1;
}

/**
 * The gRPC status for an answer the gateway makes itself, from the HTTP status it would send
 * (gRPC's http-grpc-status-mapping, with Envoy's choices where the gateway knows more): rate
 * limited → RESOURCE_EXHAUSTED, upstream timeout → DEADLINE_EXCEEDED, unavailable → UNAVAILABLE.
 */
export function grpcStatusForHttp(status: number): GrpcStatus {
  switch (status) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 413:
    case 429:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 504:
      return GrpcStatus.DEADLINE_EXCEEDED;
    case 502:
    case 503:
      return GrpcStatus.UNAVAILABLE;
    default:
      return status >= 200 && status < 300 ? GrpcStatus.OK : status >= 500 ? GrpcStatus.UNAVAILABLE : GrpcStatus.UNKNOWN;
  }
}

/**
 * `grpc-timeout` (e.g. `250m`, `3S`, `1H`): the caller's deadline in milliseconds, or undefined
 * when absent or malformed (at most 8 digits and one unit, as the spec says).
 */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  switch (m[2] as 'H' | 'M' | 'S' | 'm' | 'u' | 'n') {
    case 'H':
      return n * 3_600_000;
    case 'M':
      return n * 60_000;
    case 'S':
      return n * 1_000;
    case 'm':
      return n;
    case 'u':
      return n / 1_000;
    case 'n':
      return n / 1_000_000;
  }
}

/** Milliseconds as `grpc-timeout` (whole milliseconds, at least 1; 8 digits at most, else seconds). */
export function formatGrpcTimeout(ms: number): string {
  const m = Math.max(1, Math.ceil(ms));
  return m < 100_000_000 ? `${m}m` : `${Math.min(99_999_999, Math.ceil(m / 1_000))}S`;
}
