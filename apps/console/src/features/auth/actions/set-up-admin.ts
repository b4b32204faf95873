'use server';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { ready } from '@/server/ready.ts';
import { clientIp } from '@/server/request.ts';
import { fieldErrors } from '@/features/switches/switch-input.ts';
import { formValues, type ActionState } from '@/features/action-state.ts';
import { adminExists, createFirstAdmin } from '../bootstrap-admin.ts';

const input = z
  .object({ email: z.email('a valid email').max(320), password: z.string().min(12, 'at least 12 characters').max(1_000), confirm: z.string() })
  .refine(v => v.password === v.confirm, { path: ['confirm'], message: 'does not match' });

/** The one-time setup: creates the first admin, and only while none exists (checked again in the transaction). */
export async function setUpAdminAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const db = await ready();
  if (await adminExists(db)) redirect('/login');
  const p = input.safeParse({ email: form.get('email'), password: form.get('password'), confirm: form.get('confirm') });
  if (!p.success) return { ok: false, message: 'Check the fields.', fields: fieldErrors(p.error), values: { email: formValues(form).email ?? '' } };
  if (!(await createFirstAdmin(db, p.data.email, p.data.password, 'setup page', await clientIp()))) redirect('/login');
  redirect('/login?setup=done');
}
