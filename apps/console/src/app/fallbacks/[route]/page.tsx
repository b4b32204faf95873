import { STATUS_CODES } from 'node:http';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { pageUser } from '@/server/request.ts';
import { ready } from '@/server/ready.ts';
import { env } from '@/server/env.ts';
import { allows } from '@/features/auth/roles.ts';
import { Shell } from '@/features/auth/components/shell.tsx';
import { fleetMonitor } from '@/features/fleet/monitor.ts';
import { getSchema, listVersions } from '@/features/fallbacks/fallback-store.ts';
import { headerLines } from '@/features/fallbacks/fallback-input.ts';
import { diffVersions } from '@/features/fallbacks/version-diff.ts';
import { FallbackEditor } from '@/features/fallbacks/components/fallback-editor.tsx';
import { VersionActions } from '@/features/fallbacks/components/version-actions.tsx';
import { SchemaForm } from '@/features/fallbacks/components/schema-form.tsx';

export const dynamic = 'force-dynamic';

export default async function FallbackRoutePage({ params, searchParams }: { params: Promise<{ route: string }>; searchParams: Promise<{ diff?: string }> }) {
  const user = await pageUser();
  const { route } = await params;
  const { diff } = await searchParams;
  const view = await fleetMonitor().view();
  if (!view.routes.some(r => r.name === route)) notFound();
  const db = await ready();
  const [versions, schema] = await Promise.all([listVersions(db, route), getSchema(db, route)]);
  const latest = versions[0];
  const published = view.publishedFallbacks[route] ?? null;
  const canEdit = allows(user.role, 'editor');
  const shown = versions.find(v => String(v.version) === diff) ?? latest;
  const parts = shown ? diffVersions(versions.find(v => v.version === shown.version - 1), shown) : [];
  const statusTexts = Object.fromEntries(Object.entries(STATUS_CODES).map(([k, v]) => [k, v ?? '']));
  return (
    <Shell user={user} active="/fallbacks">
      <h1>
        Fallback for <code>{route}</code>
      </h1>
      <p className="muted">
        Published: {published === null ? 'none (the gateway config’s default, if any)' : `v${published}`}. {canEdit ? '' : 'Your role is viewer: you can read but not change fallbacks.'}
      </p>
      <FallbackEditor
        route={route}
        level={view.document?.globalLevel ?? 0}
        statusTexts={statusTexts}
        maxBytes={env().BROWNOUT_CONSOLE_FALLBACK_MAX_BYTES}
        canEdit={canEdit}
        initial={latest ? { status: String(latest.status), contentType: latest.contentType, headers: headerLines(latest.headers), body: latest.body } : { status: '200', contentType: 'application/json', headers: '', body: '' }}
      />
      <div className="panels">
        <div className="panel">
          <h2>Versions</h2>
          <table data-testid="versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>Saved</th>
                <th>Message</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {versions.map((v, i) => (
                <tr key={v.version} data-version={v.version} className={v.version === published ? 'row-ok' : ''}>
                  <td>
                    v{v.version}
                    {v.version === published && <span className="pill pill-ok"> ● published</span>}
                  </td>
                  <td className="small">
                    {v.author}
                    <br />
                    {v.createdAt.toISOString().replace('T', ' ').slice(0, 19)} UTC
                  </td>
                  <td>
                    {v.message} <Link href={`?diff=${v.version}`}>diff</Link>
                  </td>
                  <td>
                    <VersionActions route={route} version={v.version} latest={i === 0} canEdit={canEdit} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="panel">
          <h2>{shown ? `Changes in v${shown.version}${shown.version > 1 ? ` (against v${shown.version - 1})` : ''}` : 'No versions yet'}</h2>
          <pre className="diff" data-testid="diff">
            {parts.map((p, i) => (
              <span key={i} className={`diff-${p.kind}`}>
                {p.text
                  .replace(/\n$/, '')
                  .split('\n')
                  .map(l => `${p.kind === 'added' ? '+ ' : p.kind === 'removed' ? '- ' : '  '}${l}\n`)
                  .join('')}
              </span>
            ))}
          </pre>
        </div>
      </div>
      <SchemaForm route={route} schema={schema ?? ''} canEdit={canEdit} />
    </Shell>
  );
}
