'use server';
import { requireRole } from '@/server/request.ts';
import { formValues, type ActionState } from '@/features/action-state.ts';
import { fieldErrors, restoreAllSchema } from '../switch-input.ts';
import { submitChange } from './submit-change.ts';

/** Restores normal everywhere: global level 0 and no route overrides. */
export async function restoreAllAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const user = await requireRole('operator');
  const p = restoreAllSchema.safeParse(Object.fromEntries(form));
  if (!p.success) return { ok: false, message: 'Nothing was written: check the fields.', fields: fieldErrors(p.error), values: formValues(form) };
  return submitChange({ kind: 'restore-all', restore: p.data }, user.email, form);
}
