'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { ready } from '@/server/ready.ts';
import { clientIp, requireRole } from '@/server/request.ts';
import { appendAudit } from '@/features/audit/audit-log.ts';
import { hashPassword } from '@/features/auth/password.ts';
import { ROLES } from '@/features/auth/roles.ts';
import { newUserId } from '@/features/auth/session.ts';
import { fieldErrors } from '@/features/switches/switch-input.ts';
import { formValues, type ActionState } from '@/features/action-state.ts';
import { findUserByEmail } from '@/features/users/user-store.ts';

const input = z.object({
  email: z.email('a valid email').max(320).transform(s => s.toLowerCase()),
  password: z.string().min(12, 'at least 12 characters').max(1_000),
  role: z.enum(ROLES, { error: `one of ${ROLES.join(', ')}` }),
});

export async function createUserAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const admin = await requireRole('admin');
  const p = input.safeParse({ email: form.get('email'), password: form.get('password'), role: form.get('role') });
  const values = { ...formValues(form), password: '' };
  if (!p.success) return { ok: false, message: 'Check the fields.', fields: fieldErrors(p.error), values };
  const db = await ready();
  if (await findUserByEmail(db, p.data.email)) return { ok: false, message: 'Check the fields.', fields: { email: 'a user with this email exists' }, values };
  await db.user.create({ data: { id: newUserId(), email: p.data.email, passwordHash: await hashPassword(p.data.password), role: p.data.role } });
  await appendAudit(db, { actor: admin.email, action: 'user_created', target: p.data.email, after: { role: p.data.role }, ip: await clientIp() });
  revalidatePath('/users');
  return { ok: true, message: `Created ${p.data.email} (${p.data.role}).` };
}
