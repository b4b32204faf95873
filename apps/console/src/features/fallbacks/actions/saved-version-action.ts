import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { ready } from '@/server/ready.ts';
import { env } from '@/server/env.ts';
import { clientIp, requireRole } from '@/server/request.ts';
import { gatewayLink } from '@/features/fleet/link.ts';
import type { ActionState } from '@/features/action-state.ts';
import { getVersion, type FallbackVersionRow } from '../fallback-store.ts';
import type { PublishContext } from '../publish.ts';

const input = z.object({ route: z.string().min(1).max(200), version: z.coerce.number().int().min(1) });

/** What an action on one saved version works with, once every check has passed. */
export interface SavedVersionStep {
  readonly version: FallbackVersionRow;
  readonly publish: PublishContext;
  readonly actor: string;
  readonly ip: string;
}

/**
 * The checks publish and roll back share: an editor, a route and version that parse, a gateway to
 * publish to, and the version saved. Nothing is written before all of them pass; the route's page
 * is revalidated after `step`, whatever it answered.
 */
export async function onSavedVersion(form: FormData, unparsed: string, step: (s: SavedVersionStep) => Promise<ActionState>): Promise<ActionState> {
  const user = await requireRole('editor');
  const p = input.safeParse(Object.fromEntries(form));
  if (!p.success) return { ok: false, message: unparsed };
  const link = gatewayLink();
  if (!link) return { ok: false, message: 'No gateway configured; nothing was published.' };
  const db = await ready();
  const version = await getVersion(db, p.data.route, p.data.version);
  if (!version) return { ok: false, message: `No version ${p.data.version} for ${p.data.route}.` };
  try {
    return await step({ version, publish: { db, link, waitMs: env().BROWNOUT_CONSOLE_APPLY_WAIT_MS }, actor: user.email, ip: await clientIp() });
  } finally {
    revalidatePath(`/fallbacks/${version.route}`);
  }
}
