'use server';
import type { ActionState } from '@/features/action-state.ts';
import { publishVersion } from '../publish.ts';
import { onSavedVersion } from './saved-version-action.ts';

/** Publishes a saved version to the gateways. */
export async function publishFallbackAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  return onSavedVersion(form, 'Pick a saved version to publish.', async ({ version: v, publish, actor, ip }) => {
    const r = await publishVersion(publish, v, actor, ip);
    if (!r.ok) return { ok: false, message: r.message };
    return { ok: r.confirmed, message: `v${v.version} published: ${r.message}` };
  });
}
