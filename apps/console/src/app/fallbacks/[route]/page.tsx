import { notFound } from 'next/navigation';
import { pageUser } from '@/server/request.ts';
import { env } from '@/server/env.ts';
import { allows } from '@/features/auth/roles.ts';
import { Shell } from '@/features/auth/components/shell.tsx';
import { loadFallbackPage } from '@/features/fallbacks/fallback-page.ts';
import { FallbackEditor } from '@/features/fallbacks/components/fallback-editor.tsx';
import { VersionDiff, VersionTable } from '@/features/fallbacks/components/version-history.tsx';
import { SchemaForm } from '@/features/fallbacks/components/schema-form.tsx';

export const dynamic = 'force-dynamic';

export default async function FallbackRoutePage({ params, searchParams }: { params: Promise<{ route: string }>; searchParams: Promise<{ diff?: string }> }) {
  const user = await pageUser();
  const { route } = await params;
  const { diff } = await searchParams;
  const data = await loadFallbackPage(route, diff);
  if (!data) notFound();
  const { published, shown } = data;
  const canEdit = allows(user.role, 'editor');
  return (
    <Shell user={user} active="/fallbacks">
      <h1>
        Fallback for <code>{route}</code>
      </h1>
      <p className="muted">
        Published: {published === null ? 'none (the gateway config’s default, if any)' : `v${published}`}. {canEdit ? '' : 'Your role is viewer: you can read but not change fallbacks.'}
      </p>
      <FallbackEditor route={route} level={data.level} statusTexts={data.statusTexts} maxBytes={env().BROWNOUT_CONSOLE_FALLBACK_MAX_BYTES} canEdit={canEdit} initial={data.initial} />
      <div className="panels">
        <div className="panel">
          <h2>Versions</h2>
          <VersionTable route={route} versions={data.versions} published={published} canEdit={canEdit} />
        </div>
        <div className="panel">
          <h2>{shown ? `Changes in v${shown.version}${shown.version > 1 ? ` (against v${shown.version - 1})` : ''}` : 'No versions yet'}</h2>
          <VersionDiff parts={data.diff} />
        </div>
      </div>
      <SchemaForm route={route} schema={data.schema} canEdit={canEdit} />
    </Shell>
  );
}
