'use client';
import { useActionState } from 'react';
import { createUserAction } from '../actions/create-user.ts';
import { changeUserAction } from '../actions/change-user.ts';
import { ROLES } from '@/features/auth/roles.ts';


export function UserRow({ user }: { user: { id: string; email: string; role: string; disabled: boolean; since: string } }) {
  const [state, action, pending] = useActionState(changeUserAction, null);
  return (
    <tr className={user.disabled ? 'row-warn' : ''}>
      <td>{user.email}</td>
      <td>{user.since}</td>
      <td>
        <form action={action} className="row">
          <input type="hidden" name="userId" value={user.id} />
          <select name="role" defaultValue={user.role}>
            {ROLES.map(r => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <label className="check">
            <input type="checkbox" name="disabled" defaultChecked={user.disabled} /> disabled
          </label>
          <button type="submit" disabled={pending}>
            Save
          </button>
          {state && <span className={state.ok ? 'ok' : 'bad'}>{state.message}</span>}
        </form>
      </td>
    </tr>
  );
}

export function CreateUserForm() {
  const [state, action, pending] = useActionState(createUserAction, null);
  const err = (k: string) => state?.fields?.[k] && <span className="field-error">{state.fields[k]}</span>;
  return (
    <form action={action} className="panel">
      <h2>Add a user</h2>
      <div className="row">
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" defaultValue={state?.values?.email ?? ''} />
          {err('email')}
        </label>
        <label className="field">
          <span>Initial password (12+)</span>
          <input name="password" type="password" autoComplete="new-password" />
          {err('password')}
        </label>
        <label className="field">
          <span>Role</span>
          <select name="role" defaultValue="viewer">
            {ROLES.map(r => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={pending}>
          Add
        </button>
      </div>
      {state && <p className={state.ok ? 'result result-ok' : 'result result-bad'}>{state.message}</p>}
    </form>
  );
}
