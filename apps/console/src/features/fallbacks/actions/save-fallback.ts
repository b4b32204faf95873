'use server';
import { revalidatePath } from 'next/cache';
import { ready } from '@/server/ready.ts';
import { env } from '@/server/env.ts';
import { clientIp, requireRole } from '@/server/request.ts';
import { appendAudit } from '@/features/audit/audit-log.ts';
import { formValues, type ActionState } from '@/features/action-state.ts';
import { checkDraft, compileSchema } from '../fallback-input.ts';
import { getSchema, listVersions, saveVersion } from '../fallback-store.ts';

/** Saves an editor's draft as the route's next version (not yet served: that is Publish). */
export async function saveFallbackAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const user = await requireRole('editor');
  const input = formValues(form);
  const db = await ready();
  const schemaText = input.route ? await getSchema(db, input.route) : undefined;
  const schema = schemaText === undefined ? undefined : compileSchema(schemaText);
  const c = checkDraft(input, { maxBytes: env().BROWNOUT_CONSOLE_FALLBACK_MAX_BYTES, schema: schema?.ok ? schema.validate : undefined });
  if (!c.ok) return { ok: false, message: 'Not saved: check the fields.', fields: c.fields, values: input };
  const before = (await listVersions(db, c.draft.route))[0];
  const v = await saveVersion(db, c.draft, user.email);
  await appendAudit(db, {
    actor: user.email,
    action: 'fallback_saved',
    route: v.route,
    target: `fallback ${v.route} v${v.version}`,
    reason: v.message,
    before: before ? { version: before.version, status: before.status, content_type: before.contentType, headers: before.headers, body: before.body, grpc: before.grpc } : null,
    after: { version: v.version, status: v.status, content_type: v.contentType, headers: v.headers, body: v.body, grpc: v.grpc },
    outcome: `saved as v${v.version} (not published)`,
    ip: await clientIp(),
  });
  revalidatePath(`/fallbacks/${v.route}`);
  return { ok: true, message: `Saved v${v.version}. Not served until you publish it.` };
}
