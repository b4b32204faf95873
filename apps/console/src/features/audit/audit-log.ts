import type { Db } from '@/server/db/client.ts';

/** One entry to append. Before/after are any JSON-able values (stored as JSON text). */
export interface AuditEntry {
  readonly actor: string;
  readonly action: AuditAction;
  readonly route?: string | null | undefined;
  readonly target?: string | null | undefined;
  readonly reason?: string | null | undefined;
  readonly ticket?: string | null | undefined;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly outcome?: string | null | undefined;
  readonly ip?: string | null | undefined;
  readonly sourceId?: string | null | undefined;
  readonly at?: Date | undefined;
}

export const AUDIT_ACTIONS = [
  'signin',
  'signin_failed',
  'signout',
  'admin_created',
  'user_created',
  'user_role_changed',
  'user_disabled',
  'user_enabled',
  'switch_changed',
  'switch_refused',
  'auto_degradation',
  'access_denied',
  'fallback_saved',
  'fallback_published',
  'fallback_rolled_back',
  'fallback_schema_changed',
  'host_ejected',
  'host_unejected',
  'instance_up',
  'instance_down',
  'instance_gone',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/**
 * Appends to the audit log. This module is the console's only access to the table, and it only
 * inserts and reads: there is no update or delete path, and the database refuses both (triggers).
 */
export async function appendAudit(db: Db, e: AuditEntry): Promise<void> {
  await db.auditEvent.create({
    data: {
      actor: e.actor,
      action: e.action,
      route: e.route ?? null,
      target: e.target ?? null,
      reason: e.reason ?? null,
      ticket: e.ticket ?? null,
      before: json(e.before),
      after: json(e.after),
      outcome: e.outcome ?? null,
      ip: e.ip ?? null,
      sourceId: e.sourceId ?? null,
      ...(e.at && { at: e.at }),
    },
  });
}

/** Appends an imported event once: a second import of the same source id is a no-op. */
export async function appendAuditOnce(db: Db, e: AuditEntry & { sourceId: string }): Promise<boolean> {
  const seen = await db.auditEvent.findUnique({ where: { sourceId: e.sourceId }, select: { id: true } });
  if (seen) return false;
  try {
    await appendAudit(db, e);
    return true;
  } catch (err) {
    // Two imports racing: the unique source id lets exactly one in.
    if ((err as { code?: string }).code === 'P2002') return false;
    throw err;
  }
}

export interface AuditQuery {
  readonly id?: number | undefined;
  readonly route?: string | undefined;
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly limit?: number | undefined;
}

export interface AuditRow {
  readonly id: number;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly route: string | null;
  readonly target: string | null;
  readonly reason: string | null;
  readonly ticket: string | null;
  readonly before: string | null;
  readonly after: string | null;
  readonly outcome: string | null;
  readonly ip: string | null;
}

/** Newest first, filtered by route, actor, action and time. */
export async function queryAudit(db: Db, q: AuditQuery = {}): Promise<AuditRow[]> {
  return db.auditEvent.findMany({
    where: {
      ...(q.id !== undefined && { id: q.id }),
      ...(q.route && { route: q.route }),
      ...(q.actor && { actor: { contains: q.actor } }),
      ...(q.action && { action: q.action }),
      ...((q.from ?? q.to) && { at: { ...(q.from && { gte: q.from }), ...(q.to && { lte: q.to }) } }),
    },
    orderBy: [{ at: 'desc' }, { id: 'desc' }],
    take: Math.min(Math.max(q.limit ?? 200, 1), 1_000),
    select: { id: true, at: true, actor: true, action: true, route: true, target: true, reason: true, ticket: true, before: true, after: true, outcome: true, ip: true },
  });
}
