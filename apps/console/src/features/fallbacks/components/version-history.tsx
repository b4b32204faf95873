import Link from 'next/link';
import { DataTable } from '@/components/data-table.tsx';
import type { FallbackVersionRow } from '../fallback-store.ts';
import type { DiffPart } from '../version-diff.ts';
import { VersionActions } from './version-actions.tsx';

/** A route's saved fallback versions, newest first, the published one marked, each with publish / roll back. */
export function VersionTable({ route, versions, published, canEdit }: { route: string; versions: FallbackVersionRow[]; published: number | null; canEdit: boolean }) {
  return (
    <DataTable testId="versions" columns={['Version', 'Saved', 'Message', '']}>
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
    </DataTable>
  );
}

/** What one version changed against the one before, as `+`/`-` lines. */
export function VersionDiff({ parts }: { parts: DiffPart[] }) {
  return (
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
  );
}
