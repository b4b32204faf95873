import { revalidatePath } from 'next/cache';
import { ready } from '@/server/ready.ts';
import { env } from '@/server/env.ts';
import { clientIp } from '@/server/request.ts';
import { gatewayLink } from '@/features/fleet/link.ts';
import { formValues, type ActionState } from '@/features/action-state.ts';
import { applySwitchChange } from '../apply-switch.ts';
import type { SwitchChange } from '../switch-change.ts';

/** Shared tail of the switch actions (not an action itself): apply, then say what happened. */
export async function submitChange(change: SwitchChange, actor: string, form: FormData): Promise<ActionState> {
  const link = gatewayLink();
  if (!link) return { ok: false, message: 'No gateway configured (REDIS_URL or BROWNOUT_GATEWAY_URL); nothing was written.', values: formValues(form) };
  const r = await applySwitchChange({ db: await ready(), link, waitMs: env().BROWNOUT_CONSOLE_APPLY_WAIT_MS }, change, actor, await clientIp());
  revalidatePath('/');
  revalidatePath('/switches');
  if (!r.ok) return { ok: false, message: r.message, fields: r.fields ?? {}, values: formValues(form) };
  return { ok: r.confirmed, message: r.message };
}
