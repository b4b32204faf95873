'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { ready } from '@/server/ready.ts';
import { clientIp, requireRole } from '@/server/request.ts';
import { appendAudit } from '@/features/audit/audit-log.ts';
import { formValues, type ActionState } from '@/features/action-state.ts';
import { compileSchema } from '../fallback-input.ts';
import { getSchema, setSchema } from '../fallback-store.ts';

const input = z.object({ route: z.string().min(1).max(200), schema: z.string().max(64 * 1024, 'at most 64 KiB').default('') });

/** Sets (or, when empty, removes) the JSON Schema a route's fallback bodies must satisfy. */
export async function setFallbackSchemaAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const user = await requireRole('editor');
  const p = input.safeParse(formValues(form));
  if (!p.success) return { ok: false, message: 'Not saved.', fields: { schema: p.error.issues[0]?.message ?? 'invalid' }, values: formValues(form) };
  const text = p.data.schema.trim();
  if (text !== '') {
    const c = compileSchema(text);
    if (!c.ok) return { ok: false, message: 'Not saved.', fields: { schema: c.message }, values: formValues(form) };
  }
  const db = await ready();
  const before = await getSchema(db, p.data.route);
  await setSchema(db, p.data.route, text === '' ? null : text, user.email);
  await appendAudit(db, { actor: user.email, action: 'fallback_schema_changed', route: p.data.route, target: `fallback schema ${p.data.route}`, before: before ?? null, after: text === '' ? null : text, ip: await clientIp() });
  revalidatePath(`/fallbacks/${p.data.route}`);
  return { ok: true, message: text === '' ? 'Schema removed.' : 'Schema saved: new versions must satisfy it.' };
}
