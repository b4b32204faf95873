'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { ready } from '@/server/ready.ts';
import { clientIp, requireRole } from '@/server/request.ts';
import { appendAudit } from '@/features/audit/audit-log.ts';
import { ROLES } from '@/features/auth/roles.ts';
import { revokeUserSessions } from '@/features/auth/session.ts';
import type { ActionState } from '@/features/action-state.ts';
import { activeAdminCount, findUserById } from '@/features/users/user-store.ts';

const input = z.object({ userId: z.string().min(1).max(100), role: z.enum(ROLES), disabled: z.preprocess(v => v === 'true' || v === 'on', z.boolean()) });

/**
 * Changes a user's role or access. The user's sessions are revoked so the change takes effect at
 * once; the last active admin cannot demote or disable themselves (nobody could manage users then).
 */
export async function changeUserAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const admin = await requireRole('admin');
  const p = input.safeParse({ userId: form.get('userId'), role: form.get('role'), disabled: form.get('disabled') });
  if (!p.success) return { ok: false, message: `Role must be one of ${ROLES.join(', ')}.` };
  const db = await ready();
  const user = await findUserById(db, p.data.userId);
  if (!user) return { ok: false, message: 'No such user.' };
  const losesAdmin = user.role === 'admin' && !user.disabled && (p.data.role !== 'admin' || p.data.disabled);
  if (losesAdmin && (await activeAdminCount(db)) <= 1) return { ok: false, message: 'This is the last active admin; make another admin first.' };
  if (user.role === p.data.role && user.disabled === p.data.disabled) return { ok: true, message: 'No change.' };
  await db.user.update({ where: { id: user.id }, data: { role: p.data.role, disabled: p.data.disabled, version: { increment: 1 } } });
  await revokeUserSessions(db, user.id);
  const action = user.disabled !== p.data.disabled ? (p.data.disabled ? 'user_disabled' : 'user_enabled') : 'user_role_changed';
  await appendAudit(db, { actor: admin.email, action, target: user.email, before: { role: user.role, disabled: user.disabled }, after: { role: p.data.role, disabled: p.data.disabled }, ip: await clientIp() });
  revalidatePath('/users');
  return { ok: true, message: `Updated ${user.email}; their sessions were signed out.` };
}
