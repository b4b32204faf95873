import { notFound } from 'next/navigation';
import { ready } from '@/server/ready.ts';
import { adminExists } from '@/features/auth/bootstrap-admin.ts';
import { SetupForm } from '@/features/auth/components/setup-form.tsx';

export const dynamic = 'force-dynamic';

/** One-time setup: exists only while there is no admin. */
export default async function SetupPage() {
  if (await adminExists(await ready())) notFound();
  return (
    <main className="narrow">
      <h1>Set up the first admin</h1>
      <p className="muted">No admin exists yet. This page disappears once one does. (Or set BROWNOUT_CONSOLE_ADMIN_EMAIL and BROWNOUT_CONSOLE_ADMIN_PASSWORD before starting.)</p>
      <SetupForm />
    </main>
  );
}
