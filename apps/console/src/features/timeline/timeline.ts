import type { Db } from '@/server/db/client.ts';
import type { AuditAction } from '@/features/audit/audit-log.ts';

/** What an incident timeline shows: changes and events, not sign-ins or user admin. */
export const TIMELINE_ACTIONS: readonly AuditAction[] = [
  'switch_changed',
  'fallback_published',
  'fallback_rolled_back',
  'auto_degradation',
  'host_ejected',
  'host_unejected',
  'instance_up',
  'instance_down',
  'instance_gone',
];

export interface TimelineEntry {
  readonly id: number;
  readonly at: Date;
  readonly action: string;
  readonly actor: string;
  readonly route: string | null;
  readonly target: string | null;
  readonly reason: string | null;
  readonly outcome: string | null;
}

/**
 * The events in [from, to], oldest first, from the audit log (where the console's own changes and
 * the gateways' reported events all land). `cluster` keeps host events of that cluster and route
 * events of its routes (`routesOfCluster`).
 */
export async function timeline(db: Db, q: { from: Date; to: Date; route?: string | undefined; cluster?: string | undefined; routesOfCluster?: readonly string[] }): Promise<TimelineEntry[]> {
  const rows = await db.auditEvent.findMany({
    where: { action: { in: [...TIMELINE_ACTIONS] }, at: { gte: q.from, lte: q.to } },
    orderBy: [{ at: 'asc' }, { id: 'asc' }],
    take: 2_000,
    select: { id: true, at: true, action: true, actor: true, route: true, target: true, reason: true, outcome: true },
  });
  return rows.filter(r => {
    if (q.route && r.route !== q.route) return false;
    if (q.cluster) {
      const hostOfCluster = r.target?.startsWith(`${q.cluster}/`) ?? false;
      const routeOfCluster = r.route !== null && (q.routesOfCluster ?? []).includes(r.route);
      if (!hostOfCluster && !routeOfCluster) return false;
    }
    return true;
  });
}

/** One line saying what happened, for the timeline and the chart markers. */
export function describe(e: TimelineEntry): string {
  switch (e.action) {
    case 'host_ejected':
      return `${e.target ?? 'host'} ejected (${e.reason ?? 'unknown'}) by ${e.actor}`;
    case 'host_unejected':
      return `${e.target ?? 'host'} back in rotation on ${e.actor}`;
    case 'auto_degradation':
      return `${e.route ?? ''} automatically degraded (${e.reason ?? ''}) ${e.outcome ?? ''} on ${e.actor}`;
    case 'switch_changed':
      return `${e.target ?? 'switches'} changed by ${e.actor}${e.reason ? `: ${e.reason}` : ''}${e.outcome ? ` (${e.outcome})` : ''}`;
    case 'fallback_published':
    case 'fallback_rolled_back':
      return `${e.target ?? 'fallback'} ${e.action === 'fallback_published' ? 'published' : 'rolled back'} by ${e.actor}`;
    case 'instance_up':
      return `gateway ${e.target ?? ''} started`;
    case 'instance_down':
      return `gateway ${e.target ?? ''} stopped`;
    case 'instance_gone':
      return `gateway ${e.target ?? ''} disappeared (no stop notice)`;
    default:
      return e.action;
  }
}
