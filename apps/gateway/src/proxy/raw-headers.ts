/** Value of the response header `lower` in undici's raw list; names compared by length first, so most cost one comparison. */
export function rawHeader(raw: Buffer[], lower: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    if (k.length === lower.length && k.toString('latin1').toLowerCase() === lower) return raw[i + 1]!.toString('latin1');
  }
  return undefined;
}

/** A 200 may be kept unless the upstream forbids it or it is per-user (cookies, private). */
export function cacheable(raw: Buffer[]): boolean {
  if (rawHeader(raw, 'set-cookie') !== undefined) return false;
  const cc = rawHeader(raw, 'cache-control')?.toLowerCase();
  return cc === undefined || !(cc.includes('no-store') || cc.includes('private'));
}
