'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { ready } from '@/server/ready.ts';
import { env } from '@/server/env.ts';
import { clientIp, requireRole } from '@/server/request.ts';
import { appendAudit } from '@/features/audit/audit-log.ts';
import { gatewayLink } from '@/features/fleet/link.ts';
import type { ActionState } from '@/features/action-state.ts';
import { getVersion, saveVersion } from '../fallback-store.ts';
import { publishVersion } from '../publish.ts';

const input = z.object({ route: z.string().min(1).max(200), version: z.coerce.number().int().min(1) });

/**
 * Rolls back to an older version: it is saved again as a new version (history never rewinds) and
 * that new version is published.
 */
export async function rollbackFallbackAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const user = await requireRole('editor');
  const p = input.safeParse(Object.fromEntries(form));
  if (!p.success) return { ok: false, message: 'Pick a version to roll back to.' };
  const link = gatewayLink();
  if (!link) return { ok: false, message: 'No gateway configured; nothing was published.' };
  const db = await ready();
  const old = await getVersion(db, p.data.route, p.data.version);
  if (!old) return { ok: false, message: `No version ${p.data.version} for ${p.data.route}.` };
  const v = await saveVersion(db, { route: old.route, status: old.status, contentType: old.contentType, headers: old.headers, body: old.body, message: `rollback to v${old.version}` }, user.email, old.version);
  const ip = await clientIp();
  await appendAudit(db, { actor: user.email, action: 'fallback_saved', route: v.route, target: `fallback ${v.route} v${v.version}`, reason: v.message, after: { version: v.version, copied_from: old.version }, outcome: `saved as v${v.version} (copy of v${old.version})`, ip });
  const r = await publishVersion({ db, link, waitMs: env().BROWNOUT_CONSOLE_APPLY_WAIT_MS }, v, user.email, ip, 'fallback_rolled_back', `rollback to v${old.version} (published as v${v.version})`);
  revalidatePath(`/fallbacks/${v.route}`);
  if (!r.ok) return { ok: false, message: `Saved v${v.version} (copy of v${old.version}) but not published: ${r.message}` };
  return { ok: r.pending.length === 0 && r.applied.length > 0, message: `Rolled back to v${old.version} as v${v.version}: ${r.message}` };
}
