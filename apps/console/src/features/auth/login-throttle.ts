import type { Db } from '@/server/db/client.ts';

/**
 * Failed sign-ins are counted per account and per client address within a window; past the limit
 * the key is locked for the rest of the window. Stored in the database, so a restart or a second
 * console does not reset the count.
 */
export const THROTTLE = {
  windowMs: 15 * 60 * 1000,
  perAccount: 5,
  perAddress: 20,
} as const;

export const accountKey = (email: string): string => `account:${email.toLowerCase()}`;
export const addressKey = (ip: string): string => `ip:${ip}`;

/** When the key may try again, or undefined when it may now. */
export async function lockedUntil(db: Db, key: string, now = Date.now()): Promise<Date | undefined> {
  const t = await db.loginThrottle.findUnique({ where: { key } });
  return t?.lockedUntil && t.lockedUntil.getTime() > now ? t.lockedUntil : undefined;
}

export async function recordFailure(db: Db, key: string, limit: number, now = Date.now()): Promise<void> {
  const t = await db.loginThrottle.findUnique({ where: { key } });
  const fresh = !t || now - t.windowStart.getTime() >= THROTTLE.windowMs;
  const failures = fresh ? 1 : t.failures + 1;
  const windowStart = fresh ? new Date(now) : t.windowStart;
  const lock = failures >= limit ? new Date(windowStart.getTime() + THROTTLE.windowMs) : null;
  await db.loginThrottle.upsert({ where: { key }, create: { key, failures, windowStart, lockedUntil: lock }, update: { failures, windowStart, lockedUntil: lock } });
}

export async function clearFailures(db: Db, key: string): Promise<void> {
  await db.loginThrottle.deleteMany({ where: { key } });
}
