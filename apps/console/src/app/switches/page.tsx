import { pageUser } from '@/server/request.ts';
import { allows } from '@/features/auth/roles.ts';
import { Shell } from '@/features/auth/components/shell.tsx';
import { SwitchBoard } from '@/features/switches/components/switch-board.tsx';
import { fleetMonitor } from '@/features/fleet/monitor.ts';

export const dynamic = 'force-dynamic';

export default async function SwitchesPage() {
  const user = await pageUser();
  const view = await fleetMonitor().view();
  return (
    <Shell user={user} active="/switches">
      <h1>Switch board</h1>
      <SwitchBoard initial={view} canWrite={allows(user.role, 'operator')} />
    </Shell>
  );
}
