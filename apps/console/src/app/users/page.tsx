import { forbidden } from 'next/navigation';
import { pageUser } from '@/server/request.ts';
import { ready } from '@/server/ready.ts';
import { allows } from '@/features/auth/roles.ts';
import { Shell } from '@/features/auth/components/shell.tsx';
import { CreateUserForm, UserRow } from '@/features/users/components/user-forms.tsx';

export const dynamic = 'force-dynamic';

export default async function UsersPage() {
  const user = await pageUser();
  if (!allows(user.role, 'admin')) forbidden();
  const users = await (await ready()).user.findMany({ orderBy: { email: 'asc' }, select: { id: true, email: true, role: true, disabled: true, createdAt: true } });
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
            <UserRow key={u.id} user={{ id: u.id, email: u.email, role: u.role, disabled: u.disabled, since: u.createdAt.toISOString().slice(0, 10) }} />
          ))}
        </tbody>
      </table>
      <CreateUserForm />
    </Shell>
  );
}
