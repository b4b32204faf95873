import type { Db } from '@/server/db/client.ts';
import { appendAudit } from '@/features/audit/audit-log.ts';
import { burnPasswordCheck, verifyPassword } from './password.ts';
import { findUserByEmail } from '@/features/users/user-store.ts';
import { createSession } from './session.ts';
import { THROTTLE, accountKey, addressKey, clearFailures, lockedUntil, recordFailure } from './login-throttle.ts';

export type SignInResult =
  | { readonly ok: true; readonly token: string; readonly expiresAt: Date; readonly role: string }
  | { readonly ok: false; readonly message: string };

/** Checks a sign-in, throttled per account and per address; every attempt is audited. */
export async function signIn(db: Db, email: string, password: string, meta: { ip: string; userAgent: string | null }): Promise<SignInResult> {
  const addr = addressKey(meta.ip);
  const acct = accountKey(email);
  const locked = (await lockedUntil(db, addr)) ?? (await lockedUntil(db, acct));
  if (locked) {
    await appendAudit(db, { actor: email, action: 'signin_failed', outcome: `throttled until ${locked.toISOString()}`, ip: meta.ip });
    return { ok: false, message: `Too many failed sign-ins. Try again after ${locked.toISOString().slice(11, 16)} UTC.` };
  }
  const user = await findUserByEmail(db, email);
  const ok = user ? await verifyPassword(password, user.passwordHash) : (await burnPasswordCheck(password), false);
  if (!user || !ok || user.disabled) {
    await recordFailure(db, addr, THROTTLE.perAddress);
    await recordFailure(db, acct, THROTTLE.perAccount);
    await appendAudit(db, { actor: email, action: 'signin_failed', outcome: user?.disabled ? 'account disabled' : 'wrong email or password', ip: meta.ip });
    return { ok: false, message: 'Wrong email or password.' };
  }
  await clearFailures(db, acct);
  const s = await createSession(db, user.id, meta);
  await appendAudit(db, { actor: user.email, action: 'signin', outcome: `role ${user.role}`, ip: meta.ip });
  return { ok: true, token: s.token, expiresAt: s.expiresAt, role: user.role };
}
