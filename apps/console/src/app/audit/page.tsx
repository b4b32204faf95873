import { pageUser } from '@/server/request.ts';
import { parseUtcInput } from '@/features/utc-input.ts';
import { ready } from '@/server/ready.ts';
import { Shell } from '@/features/auth/components/shell.tsx';
import { AUDIT_ACTIONS, queryAudit } from '@/features/audit/audit-log.ts';
import { fleetMonitor } from '@/features/fleet/monitor.ts';
import { DataTable } from '@/components/data-table.tsx';
import { FilterInput, FilterSelect, Filters } from '@/components/filters.tsx';

export const dynamic = 'force-dynamic';

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const user = await pageUser();
  const q = await searchParams;
  // Pull the gateways' latest automatic degradations in before reading.
  await fleetMonitor().view().catch(() => undefined);
  const id = q.id && /^\d+$/.test(q.id) ? Number(q.id) : undefined;
  const rows = await queryAudit(await ready(), { id, route: q.route || undefined, actor: q.actor || undefined, action: q.action || undefined, from: parseUtcInput(q.from), to: parseUtcInput(q.to), limit: 500 });
  return (
    <Shell user={user} active="/audit">
      <h1>Audit log</h1>
      <Filters submit="Filter">
        <FilterInput label="Route" name="route" defaultValue={q.route ?? ''} />
        <FilterInput label="Actor" name="actor" defaultValue={q.actor ?? ''} />
        <FilterSelect label="Action" name="action" value={q.action} options={AUDIT_ACTIONS} />
        <FilterInput label="From (UTC)" name="from" type="datetime-local" defaultValue={q.from ?? ''} />
        <FilterInput label="To (UTC)" name="to" type="datetime-local" defaultValue={q.to ?? ''} />
      </Filters>
      <p className="muted">Append-only: entries cannot be edited or deleted (the database refuses). {rows.length} shown, newest first.</p>
      <DataTable testId="audit" columns={['Time (UTC)', 'Actor', 'Action', 'Route / target', 'Reason', 'Before → after', 'Outcome']}>
          {rows.map(r => (
            <tr key={r.id} id={`audit-${r.id}`} data-action={r.action} className={r.action.endsWith('failed') || r.action === 'switch_refused' ? 'row-warn' : ''}>
              <td className="mono nowrap">
                #{r.id} {r.at.toISOString().replace('T', ' ').slice(0, 19)}
              </td>
              <td>{r.actor}</td>
              <td>{r.action}</td>
              <td className="mono">{r.route ?? r.target ?? ''}</td>
              <td>
                {r.reason}
                {r.ticket && (
                  <>
                    {' '}
                    <a href={r.ticket}>ticket</a>
                  </>
                )}
              </td>
              <td className="mono small">{r.before || r.after ? `${r.before ?? '—'} → ${r.after ?? '—'}` : ''}</td>
              <td className="small">{r.outcome}</td>
            </tr>
          ))}
      </DataTable>
    </Shell>
  );
}
