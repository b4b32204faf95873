import { z } from 'zod';
import { parseDuration } from '../duration.ts';

// The building blocks every part of the config shares: durations, percentages, addresses.

/**
 * The longest duration any field accepts. Nothing in a gateway needs to wait longer, and Node's
 * timers turn anything above 2^31−1 ms (~24.8 days) into a 1 ms loop.
 */
export const MAX_DURATION_MS = 86_400_000;

export const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : parseDuration(v);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as "250ms", "10s" or "1m", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `at most 24h (${MAX_DURATION_MS} ms), got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});
export const positiveDuration = duration.refine(v => v > 0, 'must be greater than 0');
export const percent = z.number().min(0).max(100);
export const count = z.number().int().min(0);
export const status = z.number().int().min(200).max(599);

const IP_FORMS = [z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()];
export const addressOrCidr = z.string().refine(v => IP_FORMS.some(f => f.safeParse(v).success), {
  error: v => `expected an IPv4/IPv6 address or CIDR range such as "10.0.0.0/8" or "fd00::/8", got ${JSON.stringify(v.input)}`,
});

export const hostObject = z.strictObject({
  // An address, not a URL: "https://api" would be accepted as a host name and fail every request.
  address: z.string().min(1).regex(/^[^/\s]+$/, 'an address (name, IPv4 or [IPv6]) without a scheme or path'),
  port: z.number().int().min(1).max(65535),
  weight: z.number().int().min(1).max(128).default(1),
});
