import { randomUUID } from 'node:crypto';

/** The listener's `generate_request_id` / `preserve_external_request_id` (Envoy's names). */
export interface RequestIdRules {
  readonly generate: boolean;
  readonly preserveExternal: boolean;
}

/** What a caller's id may look like: no spaces, quotes or separators to smuggle into logs and headers. */
const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's `x-request-id`: the incoming one when the peer is a trusted proxy (or the listener
 * preserves external ids) and it is well-formed; otherwise a new UUIDv4 (node's, from a cached
 * entropy pool: ~100 ns); '' when generation is off and none was kept.
 */
export function requestIdFor(incoming: string | string[] | undefined, trustedPeer: boolean, rules: RequestIdRules): string {
  if (typeof incoming === 'string' && (trustedPeer || rules.preserveExternal) && VALID.test(incoming)) return incoming;
  return rules.generate ? randomUUID() : '';
}
