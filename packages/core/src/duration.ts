const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/**
 * Parses an Envoy-style duration string ("250ms", "10s", "1.5m", "1h") into milliseconds.
 * Returns undefined for anything else so the schema can report the field and the reason.
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const unit = UNIT_MS[m[2]!]!;
  return Math.round(Number(m[1]) * unit);
}
