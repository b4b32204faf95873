/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a proxy never forwards
 * them, in either direction. Envoy also drops `proxy-authorization`/`proxy-authenticate` (they are
 * for the proxy, not the origin) and answers `expect: 100-continue` itself; Node's HTTP server
 * already sends the `100 Continue` before the request reaches us, so the header has done its job.
 * undici refuses several of these outright (`keep-alive`, `upgrade`, `transfer-encoding`,
 * `expect`), so forwarding them would turn a client's header into an error charged to a host.
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-authenticate',
  'expect',
  'http2-settings',
]);

export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName);
}

/**
 * The header names a `Connection` header lists (lower-case), which are hop-by-hop for that one
 * message. Empty when there is no such header or it lists only `close`/`keep-alive`.
 */
export function connectionListed(value: string | string[] | undefined): string[] {
  // What nearly every peer sends: nothing to parse (a split, trims and lower-casing per message).
  if (value === undefined || value === 'keep-alive' || value === 'close') return NONE;
  const text = Array.isArray(value) ? value.join(',') : value;
  let out: string[] | undefined;
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    (out ??= []).push(name);
  }
  return out ?? NONE;
}
const NONE: string[] = [];

/** `te: trailers` is the one TE value that means something end to end (gRPC relies on it). */
export function keepTe(value: string | string[] | undefined): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'trailers';
}

/** A copy of response headers without hop-by-hop ones, including every name `Connection` lists. */
export function withoutHopByHop(h: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  // reply-from has usually removed `connection` already: skip the parse then.
  const c = h.connection;
  const listed = c === undefined ? NONE : connectionListed(c);
  const out: Record<string, string | string[] | undefined> = {};
  // Copy instead of `delete`: deleting turns the object into a slow dictionary for every later step.
  for (const k in h) {
    if (HOP_BY_HOP.has(k) || (listed.length > 0 && listed.includes(k))) continue;
    out[k] = h[k];
  }
  return out;
}

/** How the gateway treats a request header on its way upstream (see `upstreamHeaderKind`). */
export const HeaderKind = {
  /** Hop-by-hop: dropped (`te: trailers` excepted). */
  HopByHop: 1,
  /** Set by the gateway itself (`x-forwarded-for`, the deadline header, `x-request-id`): the client's is replaced. */
  Ours: 2,
  /** `x-forwarded-proto`, `x-forwarded-host`, `forwarded`: believed only from trusted proxies. */
  Forwarded: 3,
} as const;

const KINDS = new Map<string, number>([
  ...[...HOP_BY_HOP].map(h => [h, HeaderKind.HopByHop] as const),
  ['x-forwarded-for', HeaderKind.Ours],
  ['x-brownout-deadline-ms', HeaderKind.Ours],
  ['x-request-id', HeaderKind.Ours],
  ['x-forwarded-proto', HeaderKind.Forwarded],
  ['x-forwarded-host', HeaderKind.Forwarded],
  ['forwarded', HeaderKind.Forwarded],
]);

/** One lookup per header on the hot path; undefined for an ordinary end-to-end header. */
export function upstreamHeaderKind(lowerName: string): number | undefined {
  return KINDS.get(lowerName);
}
