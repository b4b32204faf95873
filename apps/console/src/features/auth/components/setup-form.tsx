'use client';
import { useActionState } from 'react';
import { setUpAdminAction } from '../actions/set-up-admin.ts';

export function SetupForm() {
  const [state, action, pending] = useActionState(setUpAdminAction, null);
  const err = (k: string) => state?.fields?.[k] && <span className="field-error">{state.fields[k]}</span>;
  return (
    <form action={action} className="panel">
      <label className="field">
        <span>Email</span>
        <input name="email" type="email" defaultValue={state?.values?.email ?? ''} required />
        {err('email')}
      </label>
      <label className="field">
        <span>Password (12+ characters)</span>
        <input name="password" type="password" autoComplete="new-password" required />
        {err('password')}
      </label>
      <label className="field">
        <span>Repeat password</span>
        <input name="confirm" type="password" autoComplete="new-password" required />
        {err('confirm')}
      </label>
      <button type="submit" disabled={pending}>
        Create admin
      </button>
      {state && !state.ok && <p className="result result-bad">{state.message}</p>}
    </form>
  );
}
