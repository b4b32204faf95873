/**
 * A time from a filter form: a browser's datetime-local value (no zone: read as UTC, which is what
 * the console shows) or an ISO time with Z. Undefined when blank or not a time.
 */
export function parseUtcInput(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const t = Date.parse(/[zZ]$/.test(s) ? s : `${s}Z`);
  return Number.isFinite(t) ? new Date(t) : undefined;
}
