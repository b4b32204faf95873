import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '@/server/db/client.ts';

export const SESSION_COOKIE = 'brownout_session';
/** A session lasts at most this long (an operator's shift and then some); revocable any time. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface SessionUser {
  readonly id: string;
  readonly email: string;
  readonly role: string;
  readonly sessionId: string;
}

/** Only the token's hash is stored: the database cannot be used to take over a session. */
const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export async function createSession(db: Db, userId: string, meta: { ip?: string | null; userAgent?: string | null }, now = Date.now()): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now + SESSION_TTL_MS);
  await db.session.create({ data: { id: hashToken(token), userId, expiresAt, ip: meta.ip ?? null, userAgent: meta.userAgent?.slice(0, 300) ?? null } });
  return { token, expiresAt };
}

/** The signed-in user for a cookie token, or undefined if it is unknown, expired, revoked or the user is disabled. */
export async function sessionUser(db: Db, token: string | undefined, now = Date.now()): Promise<SessionUser | undefined> {
  if (!token || token.length > 100) return undefined;
  const s = await db.session.findUnique({ where: { id: hashToken(token) }, include: { user: true } });
  if (!s || s.revokedAt !== null || s.expiresAt.getTime() <= now || s.user.disabled) return undefined;
  return { id: s.user.id, email: s.user.email, role: s.user.role, sessionId: s.id };
}

export async function revokeSession(db: Db, token: string): Promise<void> {
  await db.session.updateMany({ where: { id: hashToken(token), revokedAt: null }, data: { revokedAt: new Date() } });
}

/** Signs a user out everywhere (role change, disable). */
export async function revokeUserSessions(db: Db, userId: string): Promise<void> {
  await db.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
}

export const newUserId = (): string => randomUUID();
