'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { ready } from '@/server/ready.ts';
import { env } from '@/server/env.ts';
import { clientIp, requireRole } from '@/server/request.ts';
import { gatewayLink } from '@/features/fleet/link.ts';
import type { ActionState } from '@/features/action-state.ts';
import { getVersion } from '../fallback-store.ts';
import { publishVersion } from '../publish.ts';

const input = z.object({ route: z.string().min(1).max(200), version: z.coerce.number().int().min(1) });

/** Publishes a saved version to the gateways. */
export async function publishFallbackAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const user = await requireRole('editor');
  const p = input.safeParse(Object.fromEntries(form));
  if (!p.success) return { ok: false, message: 'Pick a saved version to publish.' };
  const link = gatewayLink();
  if (!link) return { ok: false, message: 'No gateway configured; nothing was published.' };
  const db = await ready();
  const v = await getVersion(db, p.data.route, p.data.version);
  if (!v) return { ok: false, message: `No version ${p.data.version} for ${p.data.route}.` };
  const r = await publishVersion({ db, link, waitMs: env().BROWNOUT_CONSOLE_APPLY_WAIT_MS }, v, user.email, await clientIp());
  revalidatePath(`/fallbacks/${v.route}`);
  if (!r.ok) return { ok: false, message: r.message };
  return { ok: r.pending.length === 0 && r.applied.length > 0, message: `v${v.version} published: ${r.message}` };
}
