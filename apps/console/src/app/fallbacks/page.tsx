import Link from 'next/link';
import { pageUser } from '@/server/request.ts';
import { ready } from '@/server/ready.ts';
import { Shell } from '@/features/auth/components/shell.tsx';
import { fleetMonitor } from '@/features/fleet/monitor.ts';
import { latestVersions } from '@/features/fallbacks/fallback-store.ts';

export const dynamic = 'force-dynamic';

/** Every route's fallback: newest saved version, the published one, and what each gateway serves. */
export default async function FallbacksPage() {
  const user = await pageUser();
  const [view, latest] = await Promise.all([fleetMonitor().view(), ready().then(latestVersions)]);
  const live = view.instances.filter(i => i.state !== 'gone');
  return (
    <Shell user={user} active="/fallbacks">
      <h1>Fallback responses</h1>
      <p className="muted">What a route answers when it is degraded to <code>default</code>. Every save is a version; publishing sends one to the gateways.</p>
      <table data-testid="fallbacks">
        <thead>
          <tr>
            <th>Route</th>
            <th>Priority</th>
            <th className="num">Newest version</th>
            <th className="num">Published</th>
            <th>Served by the gateways</th>
          </tr>
        </thead>
        <tbody>
          {view.routes.map(r => {
            const published = view.publishedFallbacks[r.name] ?? null;
            const served = live.map(i => `${i.instance}: ${i.fallbackRevisions[r.name] == null ? 'config default' : `v${i.fallbackRevisions[r.name]}`}`);
            const behind = live.filter(i => (i.fallbackRevisions[r.name] ?? null) !== published);
            return (
              <tr key={r.name} data-route={r.name}>
                <td className="mono">
                  <Link href={`/fallbacks/${encodeURIComponent(r.name)}`}>{r.name}</Link>
                </td>
                <td>{r.priority}</td>
                <td className="num">{latest.get(r.name) ? `v${latest.get(r.name)!.version}` : '—'}</td>
                <td className="num">{published === null ? '—' : `v${published}`}</td>
                <td className={behind.length > 0 ? 'bad' : ''}>{served.join(', ') || 'no gateway'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Shell>
  );
}
