import type { Db } from '@/server/db/client.ts';
import type { GatewayLink } from '@/features/fleet/gateway-link.ts';
import type { AuditAction } from '@/features/audit/audit-log.ts';
import { applySwitchChange, type ApplyOutcome } from '@/features/switches/apply-switch.ts';
import { toSwitchFallback, type FallbackVersionRow } from './fallback-store.ts';

/**
 * Publishes a saved version: the route's entry in the switch document's `fallbacks`, through the
 * same writer and apply confirmation as every switch change (so "published" means the gateways
 * serve it; the gateway's schema checks the response again).
 */
export interface PublishContext {
  readonly db: Db;
  readonly link: GatewayLink;
  /** How long to wait for the gateways to confirm they enforce it. */
  readonly waitMs: number;
}

export function publishVersion(deps: PublishContext, v: FallbackVersionRow, actor: string, ip: string, as: AuditAction = 'fallback_published', reason = `publish v${v.version}: ${v.message}`): Promise<ApplyOutcome> {
  return applySwitchChange(deps, { kind: 'fallback', route: v.route, response: toSwitchFallback(v), reason }, actor, ip, as);
}
