import type { Db } from '@/server/db/client.ts';
import type { GrpcAnswer } from '@brownout/core/config';
import type { FallbackDraft } from './fallback-input.ts';

export interface FallbackVersionRow {
  readonly id: number;
  readonly route: string;
  readonly version: number;
  readonly status: number;
  readonly contentType: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** What a gRPC caller gets instead, or null (none). */
  readonly grpc: GrpcAnswer | null;
  readonly message: string;
  readonly author: string;
  readonly createdAt: Date;
  readonly copiedFrom: number | null;
}

type Raw = Omit<FallbackVersionRow, 'headers' | 'grpc'> & { headers: string; grpc: string | null };

const toRow = (r: Raw): FallbackVersionRow => ({ ...r, headers: JSON.parse(r.headers) as Record<string, string>, grpc: r.grpc === null ? null : (JSON.parse(r.grpc) as GrpcAnswer) });

/** Every version of a route's fallback, newest first. */
export async function listVersions(db: Db, route: string): Promise<FallbackVersionRow[]> {
  return (await db.fallbackVersion.findMany({ where: { route }, orderBy: { version: 'desc' } })).map(toRow);
}

export async function getVersion(db: Db, route: string, version: number): Promise<FallbackVersionRow | undefined> {
  const r = await db.fallbackVersion.findUnique({ where: { route_version: { route, version } } });
  return r ? toRow(r) : undefined;
}

/** The newest version of each route that has one. */
export async function latestVersions(db: Db): Promise<Map<string, FallbackVersionRow>> {
  const rows = await db.fallbackVersion.findMany({ orderBy: [{ route: 'asc' }, { version: 'desc' }] });
  const out = new Map<string, FallbackVersionRow>();
  for (const r of rows) if (!out.has(r.route)) out.set(r.route, toRow(r));
  return out;
}

/**
 * Saves a draft as the route's next version. Versions are never changed: two editors saving at
 * once get consecutive versions (the unique (route, version) key makes the loser retry).
 */
export async function saveVersion(db: Db, d: FallbackDraft, author: string, copiedFrom: number | null = null): Promise<FallbackVersionRow> {
  for (let attempt = 0; ; attempt++) {
    const last = await db.fallbackVersion.findFirst({ where: { route: d.route }, orderBy: { version: 'desc' }, select: { version: true } });
    try {
      const r = await db.fallbackVersion.create({
        data: { route: d.route, version: (last?.version ?? 0) + 1, status: d.status, contentType: d.contentType, headers: JSON.stringify(d.headers), body: d.body, grpc: d.grpc === null ? null : JSON.stringify(d.grpc), message: d.message, author, copiedFrom },
      });
      return toRow(r);
    } catch (e) {
      if ((e as { code?: string }).code !== 'P2002' || attempt >= 3) throw e;
    }
  }
}

export async function getSchema(db: Db, route: string): Promise<string | undefined> {
  return (await db.fallbackSchema.findUnique({ where: { route } }))?.schema;
}

export async function setSchema(db: Db, route: string, schema: string | null, by: string): Promise<void> {
  if (schema === null) await db.fallbackSchema.deleteMany({ where: { route } });
  else await db.fallbackSchema.upsert({ where: { route }, create: { route, schema, updatedBy: by }, update: { schema, updatedBy: by, version: { increment: 1 } } });
}

/** What the gateway is given for a version (the switch document's `fallbacks` entry). */
export function toSwitchFallback(v: FallbackVersionRow): { status: number; headers: Record<string, string>; body: string; grpc?: GrpcAnswer; revision: number } {
  return { status: v.status, headers: { 'content-type': v.contentType, ...v.headers }, body: v.body, ...(v.grpc !== null && { grpc: v.grpc }), revision: v.version };
}
