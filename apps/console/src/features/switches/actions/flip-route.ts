'use server';
import { requireRole } from '@/server/request.ts';
import { formValues, type ActionState } from '@/features/action-state.ts';
import { fieldErrors, routeFlipSchema } from '../switch-input.ts';
import { submitChange } from './submit-change.ts';

/** Puts one route in a mode (or back to normal). Operators and admins; validated here, whatever the form sent. */
export async function flipRouteAction(_prev: ActionState | null, form: FormData): Promise<ActionState> {
  const user = await requireRole('operator');
  const p = routeFlipSchema().safeParse(Object.fromEntries(form));
  if (!p.success) return { ok: false, message: 'Nothing was written: check the fields.', fields: fieldErrors(p.error), values: formValues(form) };
  return submitChange({ kind: 'route', flip: p.data }, user.email, form);
}
