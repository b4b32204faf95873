'use client';
import { useActionState } from 'react';
import { signInAction } from '../actions/sign-in.ts';

export function SignInForm() {
  const [state, action, pending] = useActionState(signInAction, null);
  return (
    <form action={action} className="panel">
      <label className="field">
        <span>Email</span>
        <input name="email" type="email" autoComplete="username" defaultValue={state?.values?.email ?? ''} required />
      </label>
      <label className="field">
        <span>Password</span>
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      <button type="submit" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
      {state && !state.ok && (
        <p className="result result-bad" role="alert">
          {state.message}
        </p>
      )}
    </form>
  );
}
