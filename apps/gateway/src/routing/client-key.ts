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
