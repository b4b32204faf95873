import Link from 'next/link';
import { pageUser } from '@/server/request.ts';
import { parseUtcInput } from '@/features/utc-input.ts';
import { ready } from '@/server/ready.ts';
import { Shell } from '@/features/auth/components/shell.tsx';
import { fleetMonitor } from '@/features/fleet/monitor.ts';
import { describe, timeline } from '@/features/timeline/timeline.ts';
import { FilterInput, FilterSelect, Filters } from '@/components/filters.tsx';

export const dynamic = 'force-dynamic';

const KIND: Record<string, string> = {
  host_ejected: 'pill-bad',
  host_unejected: 'pill-ok',
  auto_degradation: 'pill-warn',
  switch_changed: 'pill-shadow',
  fallback_published: 'pill-shadow',
  fallback_rolled_back: 'pill-shadow',
  instance_up: 'pill-ok',
  instance_down: 'pill-warn',
  instance_gone: 'pill-bad',
};

/** The incident timeline: every change and event over a time range, oldest first, each linked to its audit record. */
export default async function TimelinePage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await pageUser();
  const q = await searchParams;
  const view = await fleetMonitor().view(); // also pulls the gateways' latest events in
  const to = parseUtcInput(q.to) ?? new Date();
  const from = parseUtcInput(q.from) ?? new Date(to.getTime() - 60 * 60 * 1000);
  const routesOfCluster = q.cluster ? view.routes.filter(r => r.cluster === q.cluster).map(r => r.name) : [];
  const entries = await timeline(await ready(), { from, to, route: q.route || undefined, cluster: q.cluster || undefined, routesOfCluster });
  const clusters = [...new Set(view.hosts.map(h => h.cluster))];
  return (
    <Shell user={user} active="/timeline">
      <h1>Incident timeline</h1>
      <Filters submit="Show">
        <FilterInput label="From (UTC)" name="from" type="datetime-local" step="1" defaultValue={from.toISOString().slice(0, 19)} />
        <FilterInput label="To (UTC)" name="to" type="datetime-local" step="1" defaultValue={q.to ? to.toISOString().slice(0, 19) : ''} placeholder="now" />
        <FilterSelect label="Route" name="route" value={q.route} options={view.routes.map(r => r.name)} />
        <FilterSelect label="Cluster" name="cluster" value={q.cluster} options={clusters} />
      </Filters>
      <p className="muted">
        {entries.length} event{entries.length === 1 ? '' : 's'} from {from.toISOString().replace('T', ' ').slice(0, 19)} to {to.toISOString().replace('T', ' ').slice(0, 19)} UTC, oldest first.
      </p>
      <ol className="timeline" data-testid="timeline">
        {entries.map(e => (
          <li key={e.id} data-action={e.action} data-at={e.at.toISOString()}>
            <span className="mono when">{e.at.toISOString().slice(11, 23)}</span>
            <span className={`pill ${KIND[e.action] ?? ''}`}>{e.action.replace(/_/g, ' ')}</span>
            <span className="what">{describe(e)}</span>
            <Link className="small" href={`/audit?id=${e.id}`}>
              audit #{e.id}
            </Link>
          </li>
        ))}
      </ol>
    </Shell>
  );
}
