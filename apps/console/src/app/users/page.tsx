import { forbidden } from 'next/navigation';
import { pageUser } from '@/server/request.ts';
import { ready } from '@/server/ready.ts';
import { allows } from '@/features/auth/roles.ts';
import { Shell } from '@/features/auth/components/shell.tsx';
import { CreateUserForm, UserRow } from '@/features/users/components/user-forms.tsx';
import { listUsers } from '@/features/users/user-store.ts';

export const dynamic = 'force-dynamic';

export default async function UsersPage() {
  const user = await pageUser();
  if (!allows(user.role, 'admin')) forbidden();
  const users = await listUsers(await ready());
  return (
    <Shell user={user} active="/users">
      <h1>Users</h1>
      <table>
        <thead>
          <tr>
            <th>Email</th>
            <th>Since</th>
            <th>Role and access</th>
          </tr>
        </thead>
        <tbody>
          {users.map(u => (
            <UserRow key={u.id} user={u} />
          ))}
        </tbody>
      </table>
      <CreateUserForm />
    </Shell>
  );
}
