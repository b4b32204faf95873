'use client';
import type { FleetView, RouteView } from '../fleet-view.ts';
import { DataTable, HostCell } from '@/components/data-table.tsx';
import { StatusBar } from './status-bar.tsx';
import { ago, duration, useFleet } from './use-fleet.ts';

const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(v < 0.01 && v > 0 ? 2 : 1)}%`);
const rate = (v: number | null): string => (v === null ? '—' : v < 10 ? v.toFixed(1) : Math.round(v).toString());

export function Degradation({ r }: { r: RouteView }) {
  if (r.degradations.length === 0) return <span className="pill pill-ok">● normal</span>;
  return (
    <>
      {r.degradations.map((d, i) => (
        <div key={i} className="degr">
          <span className={`pill ${d.shadow ? 'pill-shadow' : 'pill-bad'}`}>
            {d.shadow ? '◌ shadow ' : '▲ '}
            {d.mode}
          </span>{' '}
          <span className="muted">{d.source === 'automatic' ? `automatic on ${d.instances?.join(', ')}` : d.source === 'level' ? 'by level' : 'operator'}</span>
          <div className="small">
            {d.reason}
            {d.actor && <> — {d.actor}</>}
            {d.at && <>, {new Date(d.at).toISOString().slice(11, 19)} UTC</>}
            {d.expiresAt && <>, expires {new Date(d.expiresAt).toISOString().replace('T', ' ').slice(0, 16)} UTC</>}
            {d.ticket && (
              <>
                , <a href={d.ticket}>ticket</a>
              </>
            )}
          </div>
        </div>
      ))}
    </>
  );
}

export function FleetOverview({ initial }: { initial: FleetView }) {
  const { view, fetchedAt, pollError } = useFleet(initial);
  const ejected = view.hosts.filter(h => h.ejectedOn.length > 0);
  const live = view.instances.filter(i => i.state !== 'gone').length;
  return (
    <div>
      <StatusBar view={view} fetchedAt={fetchedAt} pollError={pollError} />
      <section>
        <h2>
          Ejected hosts <span className="count">{ejected.length}</span>
        </h2>
        {ejected.length === 0 ? (
          <p className="muted">No host is ejected on any gateway.</p>
        ) : (
          <DataTable testId="ejected" columns={['Cluster', 'Host', 'Ejected on', 'Reason', { num: 'Ejections' }, { num: 'Time left' }]}>
              {ejected.map(h => (
                <tr key={`${h.cluster}/${h.address}:${h.port}`} className="row-bad">
                  <td>{h.cluster}</td>
                  <HostCell h={h} />
                  <td>
                    ▲ ejected on {h.ejectedOn.length} of {h.reportedBy} gateway{h.reportedBy === 1 ? '' : 's'}
                  </td>
                  <td>{[...new Set(h.ejectedOn.map(e => e.reason ?? 'unknown'))].join(', ')}</td>
                  <td className="num">{Math.max(...h.ejectedOn.map(e => e.count))}</td>
                  <td className="num">{duration(Math.max(...h.ejectedOn.map(e => e.timeLeftMs)))}</td>
                </tr>
              ))}
          </DataTable>
        )}
      </section>
      <section>
        <h2>Routes</h2>
        <DataTable testId="routes" columns={['Route', 'Cluster', 'Priority', { num: 'Req/s' }, { num: '5xx ratio' }, 'Degradation']}>
            {view.routes.map(r => (
              <tr key={r.name} data-route={r.name} className={r.degradations.some(d => !d.shadow) ? 'row-bad' : ''}>
                <td className="mono">{r.name}</td>
                <td>{r.cluster}</td>
                <td>{r.priority}</td>
                <td className="num">{rate(r.rps)}</td>
                <td className={`num ${r.errorRatio !== null && r.errorRatio > 0.01 ? 'bad' : ''}`}>{pct(r.errorRatio)}</td>
                <td>
                  <Degradation r={r} />
                </td>
              </tr>
            ))}
        </DataTable>
      </section>
      <section>
        <h2>
          Hosts <span className="count">{view.hosts.length}</span>
        </h2>
        <DataTable testId="hosts" columns={['Cluster', 'Host', 'Health flags', 'State']}>
            {view.hosts.map(h => (
              <tr key={`${h.cluster}/${h.address}:${h.port}`} data-host={`${h.address}:${h.port}`}>
                <td>{h.cluster}</td>
                <HostCell h={h} />
                <td className="mono">{h.flags.join(' ')}</td>
                <td>{h.ejectedOn.length > 0 ? <span className="pill pill-bad">▲ ejected {h.ejectedOn.length}/{h.reportedBy}</span> : h.flags[0] === 'healthy' ? <span className="pill pill-ok">● healthy</span> : <span className="pill pill-warn">◆ {h.flags.join(' ')}</span>}</td>
              </tr>
            ))}
        </DataTable>
      </section>
      <section>
        <h2>
          Gateways <span className="count">{live}</span>
        </h2>
        <DataTable testId="instances" columns={['Instance', 'State', 'Heartbeat', { num: 'Switch version' }, 'Switches heard from store']}>
            {view.instances.map(i => (
              <tr key={i.instance} className={i.state === 'alive' ? '' : 'row-warn'}>
                <td className="mono">{i.instance}</td>
                <td>{i.state === 'alive' ? <span className="pill pill-ok">● alive{i.draining ? ', draining' : ''}</span> : i.state === 'stale' ? <span className="pill pill-warn">◆ stale</span> : <span className="pill pill-bad">✕ gone</span>}</td>
                <td>{ago(i.heartbeatAgeMs)}</td>
                <td className="num">{i.switchesVersion ?? '—'}</td>
                <td>{i.switchesStaleMs === null ? '—' : ago(i.switchesStaleMs)}</td>
              </tr>
            ))}
        </DataTable>
      </section>
    </div>
  );
}
