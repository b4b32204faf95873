import { pageUser } from '@/server/request.ts';
import { Shell } from '@/features/auth/components/shell.tsx';
import { FleetOverview } from '@/features/fleet/components/fleet-overview.tsx';
import { fleetMonitor } from '@/features/fleet/monitor.ts';

export const dynamic = 'force-dynamic';

export default async function OverviewPage() {
  const user = await pageUser();
  const view = await fleetMonitor().view();
  return (
    <Shell user={user} active="/">
      <h1>Fleet overview</h1>
      <FleetOverview initial={view} />
    </Shell>
  );
}
