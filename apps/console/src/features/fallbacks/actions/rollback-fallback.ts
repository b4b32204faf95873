'use server';
import { appendAudit } from '@/features/audit/audit-log.ts';
import type { ActionState } from '@/features/action-state.ts';
import { saveVersion } from '../fallback-store.ts';
import { publishVersion } from '../publish.ts';
import { onSavedVersion } from './saved-version-action.ts';

/**
 * Rolls back to an older version: it is saved again as a new version (history never rewinds) and
 * that new version is published.
 */
export async function rollbackFallbackAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  return onSavedVersion(form, 'Pick a version to roll back to.', async ({ version: old, publish, actor, ip }) => {
    const { db } = publish;
    const v = await saveVersion(db, { route: old.route, status: old.status, contentType: old.contentType, headers: old.headers, body: old.body, grpc: old.grpc, message: `rollback to v${old.version}` }, actor, old.version);
    await appendAudit(db, { actor, action: 'fallback_saved', route: v.route, target: `fallback ${v.route} v${v.version}`, reason: v.message, after: { version: v.version, copied_from: old.version }, outcome: `saved as v${v.version} (copy of v${old.version})`, ip });
    const r = await publishVersion(publish, v, actor, ip, 'fallback_rolled_back', `rollback to v${old.version} (published as v${v.version})`);
    if (!r.ok) return { ok: false, message: `Saved v${v.version} (copy of v${old.version}) but not published: ${r.message}` };
    return { ok: r.confirmed, message: `Rolled back to v${old.version} as v${v.version}: ${r.message}` };
  });
}
