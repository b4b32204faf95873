import type { Db } from '@/server/db/client.ts';
import { appendAudit } from '@/features/audit/audit-log.ts';
import { hashPassword } from './password.ts';
import { newUserId } from './session.ts';
import { activeAdminCount } from '@/features/users/user-store.ts';

export async function adminExists(db: Db): Promise<boolean> {
  return (await activeAdminCount(db)) > 0;
}

/**
 * Creates the first admin, only while no admin exists (from BROWNOUT_CONSOLE_ADMIN_EMAIL/PASSWORD
 * at start, or the one-time setup page). Returns false when an admin already exists.
 */
export async function createFirstAdmin(db: Db, email: string, password: string, via: 'environment' | 'setup page', ip?: string): Promise<boolean> {
  const passwordHash = await hashPassword(password);
  const created = await db.$transaction(async tx => {
    if ((await tx.user.count({ where: { role: 'admin' } })) > 0) return false;
    await tx.user.create({ data: { id: newUserId(), email: email.toLowerCase(), passwordHash, role: 'admin' } });
    return true;
  });
  if (created) await appendAudit(db, { actor: email.toLowerCase(), action: 'admin_created', target: email.toLowerCase(), after: { role: 'admin' }, outcome: `first admin, from the ${via}`, ip });
  return created;
}
