import { isIPv6 } from 'node:net';

/**
 * The penalty box for clients that keep abusing HTTP/2 (`listener.http2_protocol_options.
 * abusive_client_penalty`). Closing an abusive session is not enough on its own: an attacker
 * reconnects at once, and every new connection is parsed up to the point where it is caught again —
 * that parsing (an HPACK bomb's decoding, a thousand resets) is what a normal client's latency pays
 * for. So after a second abusive session from one address within the penalty, its new connections
 * are closed at accept (a few microseconds each) until the penalty has passed since the last one —
 * HAProxy's stick-table glitch counters with `tcp-request connection reject`.
 *
 * One strike is forgiven (a buggy client's single protocol error); an IPv6 client is judged by its
 * /64, the block one subscriber gets; trusted proxies are never refused, since refusing one refuses
 * everyone behind it (their abusive sessions are still closed). The table is bounded: when full,
 * the oldest entry makes room.
 */
export class AbusiveClients {
  static readonly STRIKES = 2;
  static readonly MAX_ENTRIES = 10_000;
  private readonly entries = new Map<string, { strikes: number; last: number }>();

  private readonly penaltyMs: number;
  private readonly exempt: (remoteAddress: string) => boolean;
  private readonly now: () => number;

  constructor(penaltyMs: number, exempt: (remoteAddress: string) => boolean, now: () => number = Date.now) {
    this.penaltyMs = penaltyMs;
    this.exempt = exempt;
    this.now = now;
  }

  /** A session from this address was closed for abuse. */
  strike(remoteAddress: string | undefined): void {
    if (this.penaltyMs <= 0 || !remoteAddress || this.exempt(remoteAddress)) return;
    const key = clientKey(remoteAddress);
    const t = this.now();
    const e = this.entries.get(key);
    if (e && t - e.last < this.penaltyMs) {
      e.strikes++;
      e.last = t;
      return;
    }
    if (e) this.entries.delete(key);
    else if (this.entries.size >= AbusiveClients.MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { strikes: 1, last: t });
  }

  /** Whether a new connection from this address is refused. Called once per connection, never per request. */
  refuses(remoteAddress: string | undefined): boolean {
    if (this.entries.size === 0 || !remoteAddress) return false;
    const key = clientKey(remoteAddress);
    const e = this.entries.get(key);
    if (!e) return false;
    if (this.now() - e.last >= this.penaltyMs) {
      this.entries.delete(key);
      return false;
    }
    return e.strikes >= AbusiveClients.STRIKES;
  }
}

/** IPv4 (also IPv4-mapped IPv6) as is; IPv6 by its first 64 bits. */
export function clientKey(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map(g => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
