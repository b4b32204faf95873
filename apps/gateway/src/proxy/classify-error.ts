import { ResetKind } from '@brownout/core';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNABORTED',
]);

/**
 * Maps an undici error on an attempt that got no response headers onto Envoy's reset kinds
 * (Appendix B of the Envoy notes): connect failures, per-try timeouts (undici's headersTimeout,
 * which we set per attempt), and everything else as a reset.
 */
export function classifyAttemptError(err: unknown): ResetKind {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (CONNECT_CODES.has(code) || isTlsFailure(code)) return ResetKind.ConnectFailure;
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return ResetKind.PerTryTimeout;
    // An h2 upstream's RST_STREAM(REFUSED_STREAM): the request was not processed (RFC 9113 §8.7),
    // Envoy's `refused-stream` retry condition. Node reports it with the code name in the message.
    if (code === 'ERR_HTTP2_STREAM_ERROR' && (err as Error).message.includes('REFUSED_STREAM')) return ResetKind.RefusedStream;
  }
  return ResetKind.Reset;
}

/**
 * A TLS handshake that failed: certificate verification (OpenSSL's X.509 codes), a name mismatch,
 * or a protocol error (a plain-HTTP host behind `tls`). The connection never carried a request,
 * so it is a connect failure, as in Envoy — counted against the host, retried elsewhere.
 */
const X509_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

function isTlsFailure(code: string): boolean {
  return X509_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_');
}

/** Envoy-style reason text for the local reply body. */
export function resetReason(kind: ResetKind, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (kind) {
    case ResetKind.ConnectFailure:
      return `remote connection failure, transport failure reason: ${typeof code === 'string' ? code : 'connect error'}`;
    case ResetKind.PerTryTimeout:
      return 'per-try timeout';
    case ResetKind.RefusedStream:
      return 'refused stream';
    case ResetKind.Reset:
      return `connection termination${typeof code === 'string' ? `, transport failure reason: ${code}` : ''}`;
  }
}

/**
 * Errors that are ours, not the upstream's: undici refusing what we handed it (an invalid header
 * or option, something it does not support), a pool we closed, a body that did not match its
 * length, or an error with no code at all (a bug). None of these may feed outlier detection, the
 * breaker, degradation rules or retries: blaming a host for them lets one client header eject the
 * fleet.
 */
const LOCAL_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_CHAR',
  'ERR_HTTP_INVALID_HEADER_VALUE',
]);

export function isLocalError(err: unknown): boolean {
  // undici's parser refusing the upstream's bytes (it may carry no code): a malformed answer is the
  // host's failure, never the gateway's.
  if ((err as { name?: unknown } | null)?.name === 'HTTPParserError') return false;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code !== 'string' || LOCAL_CODES.has(code);
}

/** The code a local error is counted and logged under. */
export function localErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'unknown';
}
