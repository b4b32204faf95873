import { routesInForce, type FallbackResponse, type SwitchDocument } from '@brownout/core/config';
import type { GlobalLevel, RestoreAll, RouteFlip } from './switch-input.ts';

/** One operator change to the switch document. */
export type SwitchChange =
  | { readonly kind: 'route'; readonly flip: RouteFlip }
  | { readonly kind: 'level'; readonly level: GlobalLevel }
  | { readonly kind: 'restore-all'; readonly restore: RestoreAll }
  /** Publishes a fallback response version for a route (the document's `fallbacks`). */
  | { readonly kind: 'fallback'; readonly route: string; readonly response: FallbackResponse & { revision: number }; readonly reason: string };

const EMPTY: SwitchDocument = { version: 0, global_level: 0, global_shadow: false, routes: {}, fallbacks: {} };

/**
 * The next document: the current one with the change applied, one version up (so a concurrent
 * writer's document is never silently overwritten: the writer refuses it as stale). A route set
 * back to normal loses its override rather than carrying a `normal` entry forever; overrides that
 * have expired are dropped, so one expired entry never blocks the next flip (see routesInForce).
 */
export function nextDocument(current: SwitchDocument | null, change: SwitchChange, actor: string, now: Date): SwitchDocument {
  const base = current ?? EMPTY;
  const doc: SwitchDocument = { ...base, routes: { ...routesInForce(base.routes, now) }, version: base.version + 1, updated_at: now.toISOString(), updated_by: actor };
  switch (change.kind) {
    case 'route': {
      const f = change.flip;
      const routes = Object.fromEntries(Object.entries(doc.routes).filter(([name]) => name !== f.route));
      if (f.mode !== 'normal' || f.shadow) {
        routes[f.route] = { mode: f.mode, reason: f.reason, actor, shadow: f.shadow, ...(f.ticket && { ticket: f.ticket }), ...(f.expiresAt && { expires_at: f.expiresAt }) };
      }
      return { ...doc, routes };
    }
    case 'level':
      return { ...doc, global_level: change.level.level, global_shadow: change.level.shadow };
    case 'restore-all':
      return { ...doc, global_level: 0, global_shadow: false, routes: {} };
    case 'fallback':
      return { ...doc, fallbacks: { ...doc.fallbacks, [change.route]: change.response } };
  }
}

/** What a change does, for the audit log: the parts of the document it touches, before and after. */
export function changeDiff(before: SwitchDocument | null, after: SwitchDocument, change: SwitchChange): { before: unknown; after: unknown; route: string | null } {
  switch (change.kind) {
    case 'route':
      return { route: change.flip.route, before: before?.routes[change.flip.route] ?? { mode: 'normal' }, after: after.routes[change.flip.route] ?? { mode: 'normal' } };
    case 'level':
      return { route: null, before: { global_level: before?.global_level ?? 0, global_shadow: before?.global_shadow ?? false }, after: { global_level: after.global_level, global_shadow: after.global_shadow } };
    case 'restore-all':
      return { route: null, before: { global_level: before?.global_level ?? 0, routes: before?.routes ?? {} }, after: { global_level: 0, routes: {} } };
    case 'fallback':
      return { route: change.route, before: before?.fallbacks[change.route] ?? null, after: after.fallbacks[change.route] ?? null };
  }
}

/** Who/why fields of a change, for the audit log. */
export function changeMeta(change: SwitchChange): { route: string | null; target: string; reason: string; ticket: string | null } {
  switch (change.kind) {
    case 'route':
      return { route: change.flip.route, target: `route ${change.flip.route}`, reason: change.flip.reason, ticket: change.flip.ticket ?? null };
    case 'level':
      return { route: null, target: 'global level', reason: change.level.reason, ticket: change.level.ticket ?? null };
    case 'restore-all':
      return { route: null, target: 'all switches', reason: change.restore.reason, ticket: change.restore.ticket ?? null };
    case 'fallback':
      return { route: change.route, target: `fallback ${change.route} v${change.response.revision}`, reason: change.reason, ticket: null };
  }
}
