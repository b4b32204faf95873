import { pageUser } from '@/server/request.ts';
import { ready } from '@/server/ready.ts';
import { Shell } from '@/features/auth/components/shell.tsx';
import { chartData } from '@/features/history/history.ts';
import { describe, timeline } from '@/features/timeline/timeline.ts';
import { FleetCharts } from '@/features/history/components/fleet-charts.tsx';

export const dynamic = 'force-dynamic';

/** Per-route rate, errors, degraded answers and p99, and ejected hosts per cluster, with the timeline's events marked. */
export default async function ChartsPage({ searchParams }: { searchParams: Promise<{ minutes?: string; routes?: string }> }) {
  const user = await pageUser();
  const q = await searchParams;
  const minutes = Math.min(Math.max(Number(q.minutes ?? 60) || 60, 5), 24 * 60);
  const to = new Date();
  const from = new Date(to.getTime() - minutes * 60_000);
  const db = await ready();
  const filter = q.routes ? q.routes.split(',').filter(Boolean) : undefined;
  const [data, events] = await Promise.all([chartData(db, from, to, filter), timeline(db, { from, to })]);
  return (
    <Shell user={user} active="/charts">
      <h1>Charts — last {minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`}</h1>
      <FleetCharts data={data} events={events.map(e => ({ at: e.at.getTime() / 1000, action: e.action, label: describe(e) }))} />
    </Shell>
  );
}
