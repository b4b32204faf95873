'use client';
import { useActionState } from 'react';
import { publishFallbackAction } from '../actions/publish-fallback.ts';
import { rollbackFallbackAction } from '../actions/rollback-fallback.ts';

/** Publish (the newest) or roll back to (an older) version; says what the gateways did. */
export function VersionActions({ route, version, latest, canEdit }: { route: string; version: number; latest: boolean; canEdit: boolean }) {
  const [pub, publish, publishing] = useActionState(publishFallbackAction, null);
  const [rb, rollback, rolling] = useActionState(rollbackFallbackAction, null);
  const state = pub ?? rb;
  return (
    <div>
      <form action={latest ? publish : rollback} className="row">
        <input type="hidden" name="route" value={route} />
        <input type="hidden" name="version" value={version} />
        <button type="submit" disabled={!canEdit || publishing || rolling} data-testid={latest ? `publish-v${version}` : `rollback-v${version}`}>
          {latest ? (publishing ? 'Publishing…' : 'Publish') : rolling ? 'Rolling back…' : 'Roll back to this'}
        </button>
      </form>
      {state && (
        <p className={state.ok ? 'result result-ok' : 'result result-bad'} role="status" data-testid="publish-result">
          {state.ok ? '✓ ' : '✕ '}
          {state.message}
        </p>
      )}
    </div>
  );
}
