import { redirect } from 'next/navigation';
import { ready } from '@/server/ready.ts';
import { currentUser } from '@/server/request.ts';
import { adminExists } from '@/features/auth/bootstrap-admin.ts';
import { SignInForm } from '@/features/auth/components/sign-in-form.tsx';

export const dynamic = 'force-dynamic';

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ setup?: string }> }) {
  if (!(await adminExists(await ready()))) redirect('/setup');
  if (await currentUser()) redirect('/');
  const { setup } = await searchParams;
  return (
    <main className="narrow">
      <h1>◐ Brownout console</h1>
      {setup === 'done' && <p className="result result-ok">Admin created. Sign in.</p>}
      <SignInForm />
    </main>
  );
}
