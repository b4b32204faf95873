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
    if (CONNECT_CODES.has(code)) return ResetKind.ConnectFailure;
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return ResetKind.PerTryTimeout;
  }
  return ResetKind.Reset;
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
