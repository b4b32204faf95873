import { cookies, headers } from 'next/headers';
import { forbidden, redirect } from 'next/navigation';
import { SESSION_COOKIE, sessionUser, type SessionUser } from '@/features/auth/session.ts';
import { allows, type Role } from '@/features/auth/roles.ts';
import { appendAudit } from '@/features/audit/audit-log.ts';
import { ready } from './ready.ts';

/**
 * The client's address as the console's own server saw the socket (server.mjs overwrites
 * whatever the client sent in this header), for sign-in throttling and the audit log.
 */
export async function clientIp(): Promise<string> {
  return (await headers()).get('x-brownout-client-ip') ?? 'unknown';
}

/** Secure cookies when the browser reached the console over HTTPS (directly or via a TLS proxy). */
export async function isHttps(): Promise<boolean> {
  const h = await headers();
  return (h.get('origin') ?? '').startsWith('https://') || h.get('x-forwarded-proto') === 'https';
}

export async function currentUser(): Promise<SessionUser | undefined> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return sessionUser(await ready(), token);
}

/** For pages: sends a signed-out browser to the sign-in page. */
export async function pageUser(): Promise<SessionUser> {
  const u = await currentUser();
  if (!u) redirect('/login');
  return u;
}

/**
 * For server actions and state-changing route handlers: the signed-in user with at least `role`,
 * checked on the server whatever the page showed. No session → 401; too low a role → 403
 * (Next's `forbidden()`, which sets the response status of the action call).
 */
export async function requireRole(role: Role): Promise<SessionUser> {
  const u = await currentUser();
  if (!u) redirect('/login');
  if (!allows(u.role, role)) {
    // A refused attempt is worth knowing about: the UI never offers it, so someone forged it.
    await appendAudit(await ready(), { actor: u.email, action: 'access_denied', outcome: `needs role ${role}, has ${u.role}`, ip: await clientIp() });
    forbidden();
  }
  return u;
}
