import type { Db } from '@/server/db/client.ts';
import { appendAudit } from '@/features/audit/audit-log.ts';
import type { GatewayLink } from '@/features/fleet/gateway-link.ts';
import { instanceViews } from '@/features/fleet/fleet-view.ts';
import type { AuditAction } from '@/features/audit/audit-log.ts';
import { changeDiff, changeMeta, nextDocument, type SwitchChange } from './switch-change.ts';

export type ApplyOutcome =
  | {
      readonly ok: true;
      readonly version: number;
      readonly applied: readonly string[];
      readonly pending: readonly string[];
      /** Enforced by every live gateway and, on Sentinel, acknowledged by a replica: only then is it shown as done. */
      readonly confirmed: boolean;
      readonly message: string;
    }
  | { readonly ok: false; readonly status: 400 | 409 | 503; readonly message: string; readonly fields?: Record<string, string> };

export interface ApplyDeps {
  readonly db: Db;
  readonly link: GatewayLink;
  readonly waitMs: number;
  readonly now?: () => number;
}

/**
 * Writes an operator's change for the fleet and reports what really happened: "applied" only when
 * every live gateway enforces the new version; otherwise which have not after `waitMs`. Unknown
 * routes, stale versions and an unreachable store are refused with nothing written. Every
 * outcome, refusals included, goes to the audit log.
 */
export async function applySwitchChange(deps: ApplyDeps, change: SwitchChange, actor: string, ip: string, auditAs: AuditAction = 'switch_changed'): Promise<ApplyOutcome> {
  const now = deps.now ?? Date.now;
  const meta = changeMeta(change);
  const audit = (e: { outcome: string; action?: AuditAction; before?: unknown; after?: unknown; route?: string | null }) =>
    appendAudit(deps.db, {
      actor,
      action: e.action ?? 'switch_refused',
      route: e.route ?? meta.route,
      target: meta.target,
      reason: meta.reason,
      ticket: meta.ticket,
      before: e.before,
      after: e.after,
      outcome: e.outcome,
      ip,
    });

  let read;
  try {
    read = await deps.link.read();
  } catch (e) {
    const message = `${e instanceof Error ? e.message : String(e)}; nothing was written`;
    await audit({ outcome: `refused: ${message}` });
    return { ok: false, status: 503, message };
  }
  const known = [...new Set(read.instances.flatMap(s => s.route_meta.map(m => m.name)))];
  const named = change.kind === 'route' ? change.flip.route : change.kind === 'fallback' ? change.route : undefined;
  if (named !== undefined && !known.includes(named)) {
    const message = known.length === 0 ? 'no gateway reports any route right now; cannot check the route name' : `unknown route "${named}"; known routes: ${known.join(', ')}`;
    await audit({ outcome: `refused: ${message}` });
    return { ok: false, status: 400, message, fields: { route: message } };
  }
  const next = nextDocument(read.document, change, actor, new Date(now()));
  const diff = changeDiff(read.document, next, change);
  const w = await deps.link.write(next, actor, known);
  if (!w.ok) {
    const message =
      w.reason === 'stale'
        ? `someone else changed the switches meanwhile (now version ${w.current}); nothing was written — review the board and try again`
        : w.reason === 'unavailable'
          ? w.message
          : `refused: ${w.issues.map(i => `${i.path}: ${i.message}`).join('; ')}`;
    await audit({ outcome: `refused: ${message}`, before: diff.before, after: diff.after });
    const fields: Record<string, string> = {};
    if (w.reason === 'invalid') for (const i of w.issues) if (i.path.endsWith('expires_at')) fields.expiresAt = i.message;
    return { ok: false, status: w.reason === 'stale' ? 409 : w.reason === 'unavailable' ? 503 : 400, message, fields };
  }
  const { applied, pending } = await waitApplied(deps, w.version);
  // On Sentinel: a write no replica acknowledged is on the primary only — said, never hidden.
  const unreplicated = w.replicated === 0 ? ' — but no Redis replica acknowledged it within 1 s: it is on the primary only, and a failover now could lose it' : '';
  const outcome =
    pending.length === 0 && applied.length > 0
      ? `version ${w.version} applied on ${applied.length} of ${applied.length} gateway${applied.length === 1 ? '' : 's'}`
      : applied.length === 0 && pending.length === 0
        ? `version ${w.version} saved, but no gateway is running to apply it`
        : `version ${w.version} saved; applied on ${applied.length} of ${applied.length + pending.length} — not yet on ${pending.join(', ')}`;
  const message = outcome + unreplicated;
  await audit({ action: auditAs, outcome: message, before: diff.before, after: diff.after, route: diff.route });
  return { ok: true, version: w.version, applied, pending, confirmed: pending.length === 0 && applied.length > 0 && w.replicated !== 0, message };
}

/** Watches the gateways' reported switch versions until every live one enforces `version`, or time runs out. */
async function waitApplied(deps: ApplyDeps, version: number): Promise<{ applied: string[]; pending: string[] }> {
  const deadline = Date.now() + deps.waitMs;
  for (;;) {
    let applied: string[] = [];
    let pending: string[] = [];
    try {
      const read = await deps.link.read();
      const live = instanceViews(read.instances, [], Date.now()).filter(i => i.state === 'alive');
      applied = live.filter(i => (i.switchesVersion ?? -1) >= version).map(i => i.instance);
      pending = live.filter(i => (i.switchesVersion ?? -1) < version).map(i => i.instance);
    } catch {
      /* a read failing while we wait: keep waiting until the deadline */
    }
    if ((pending.length === 0 && applied.length > 0) || Date.now() >= deadline) return { applied, pending };
    await new Promise(r => setTimeout(r, 150));
  }
}
