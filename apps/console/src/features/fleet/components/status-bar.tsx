'use client';
import type { FleetView } from '../fleet-view.ts';
import { ago, useNow } from './use-fleet.ts';

/** Which mode the console is in, how fresh its data is, and a banner when it cannot reach the gateways. */
export function StatusBar({ view, fetchedAt, pollError }: { view: FleetView; fetchedAt: number; pollError: string | null }) {
  const now = useNow();
  const mode = view.mode === 'fleet' ? `Fleet mode — Redis ${view.target}` : view.mode === 'single' ? `Single-gateway mode — ${view.target}` : 'No gateway configured';
  return (
    <>
      {!view.reachable && (
        <div className="banner banner-bad" role="alert" data-testid="link-down">
          <strong>{view.mode === 'fleet' ? 'Redis unreachable — read-only.' : 'Gateway unreachable — read-only.'}</strong> {view.error} Switch changes are refused until it is back.
          {view.lastGoodAt !== null && <> Showing data from {ago(now - view.lastGoodAt)}.</>}
        </div>
      )}
      {pollError && (
        <div className="banner banner-warn" role="status">
          Lost contact with the console server ({pollError}); data below is from {ago(now - fetchedAt)}.
        </div>
      )}
      <div className="statusbar">
        <span className="mode" data-testid="mode">{mode}</span>
        <span>
          Switches: {view.document ? <>version {view.document.version}, level {view.document.globalLevel}{view.document.globalShadow ? ' (shadow)' : ''}</> : 'none written yet'}
        </span>
        <span data-testid="freshness">Data: {view.reachable ? ago(now - view.readAt) : `stale, last good ${ago(view.lastGoodAt === null ? null : now - view.lastGoodAt)}`}</span>
      </div>
    </>
  );
}
