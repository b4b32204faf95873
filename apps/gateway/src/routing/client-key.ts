import type { RouteConfig } from '@brownout/core/config';
import { unmapped, type TrustedProxies } from './trusted-proxies.ts';

/**
 * The client address for rate limiting. X-Forwarded-For is believed only when the connection comes
 * from a trusted proxy; then the right-most address that is not itself a trusted proxy is the
 * client (the left-most entries are whatever the client chose to send).
 */
export function clientAddress(remote: string | undefined, xff: string | string[] | undefined, trusted: TrustedProxies): string {
  const peer = unmapped(remote ?? '');
  if (xff === undefined || trusted.size === 0 || !trusted.has(peer)) return peer;
  const list = (Array.isArray(xff) ? xff.join(',') : xff).split(',');
  for (let i = list.length - 1; i >= 0; i--) {
    const a = unmapped(list[i]!.trim());
    if (a !== '' && !trusted.has(a)) return a;
  }
  return peer;
}

type Headers = Record<string, string | string[] | undefined>;

/** The rate-limit key of a request: the configured header's value, or the client address. */
export function rateLimitKey(key: NonNullable<RouteConfig['rate_limit']>['key'], headers: Headers, remote: string | undefined, trusted: TrustedProxies): string {
  if (key.type === 'client_ip') return clientAddress(remote, headers['x-forwarded-for'], trusted);
  const v = headers[key.name];
  if (v === undefined) return '';
  return Array.isArray(v) ? (v[0] ?? '') : v;
}

/** `x-forwarded-for` for the upstream: the client's list, kept, with the peer appended. */
export function forwardedFor(xff: string | string[] | undefined, peer: string | undefined): string {
  const p = peer ?? '';
  return xff === undefined ? p : `${Array.isArray(xff) ? xff.join(', ') : xff}, ${p}`;
}
