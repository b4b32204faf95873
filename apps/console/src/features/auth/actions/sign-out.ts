'use server';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { ready } from '@/server/ready.ts';
import { clientIp, currentUser } from '@/server/request.ts';
import { appendAudit } from '@/features/audit/audit-log.ts';
import { SESSION_COOKIE, revokeSession } from '../session.ts';

export async function signOutAction(): Promise<void> {
  const jar = await cookies();
  const token = jar.get(SESSION_COOKIE)?.value;
  const user = await currentUser();
  if (token) {
    const db = await ready();
    await revokeSession(db, token);
    if (user) await appendAudit(db, { actor: user.email, action: 'signout', ip: await clientIp() });
  }
  jar.delete(SESSION_COOKIE);
  redirect('/login');
}
