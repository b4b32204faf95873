'use server';
import { requireRole } from '@/server/request.ts';
import { formValues, type ActionState } from '@/features/action-state.ts';
import { fieldErrors, globalLevelSchema } from '../switch-input.ts';
import { submitChange } from './submit-change.ts';

/** Sets the global level (0–3: which priority tiers are shed). */
export async function setGlobalLevelAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const user = await requireRole('operator');
  const p = globalLevelSchema.safeParse(Object.fromEntries(form));
  if (!p.success) return { ok: false, message: 'Nothing was written: check the fields.', fields: fieldErrors(p.error), values: formValues(form) };
  return submitChange({ kind: 'level', level: p.data }, user.email, form);
}
