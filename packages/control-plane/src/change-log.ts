import type { AnyRedis } from './redis-connection.ts';
import { SWITCH_LOG } from './redis-keys.ts';

/** Entries the change log keeps (a capped Redis stream; older ones are trimmed). */
export const CHANGE_LOG_MAX_ENTRIES = 10_000;

/** An automatic degradation starting or ending on one gateway instance. */
export interface AutoEvent {
  readonly route: string;
  readonly reason: string;
  readonly active: boolean;
}

/** A host ejected from (or returned to) load balancing by one gateway instance's outlier detection. */
export interface HostEvent {
  readonly cluster: string;
  /** `address:port` */
  readonly host: string;
  readonly ejected: boolean;
  /** The detector (e.g. consecutive_5xx) for an ejection; empty for an un-ejection. */
  readonly reason: string;
}

/** One entry of the change log: an operator's switch write, an automatic degradation, a host ejection, or an instance starting or stopping. */
export type ChangeLogEntry =
  | { readonly id: string; readonly at: number; readonly type: 'switch'; readonly version: number; readonly actor: string; readonly document: unknown }
  | { readonly id: string; readonly at: number; readonly type: 'auto'; readonly instance: string; readonly route: string; readonly reason: string; readonly active: boolean }
  | { readonly id: string; readonly at: number; readonly type: 'host'; readonly instance: string; readonly cluster: string; readonly host: string; readonly ejected: boolean; readonly reason: string }
  | { readonly id: string; readonly at: number; readonly type: 'instance'; readonly instance: string; readonly up: boolean };

export interface ChangeLogQuery {
  /** At most this many entries (default 100, at most 1,000). */
  readonly limit?: number;
  /** Only entries at or after this wall-clock time (ms since the epoch). */
  readonly from?: number;
  /** Only entries at or before this wall-clock time (ms since the epoch). */
  readonly to?: number;
  /** Only entries about this route: automatic ones for it, switch writes that name it. */
  readonly route?: string;
}

/** Appends an automatic degradation (start or end) seen by `instance`. */
export async function appendAutoEvent(redis: AnyRedis, instance: string, e: AutoEvent): Promise<void> {
  await redis.xadd(SWITCH_LOG, 'MAXLEN', '~', String(CHANGE_LOG_MAX_ENTRIES), '*', 'type', 'auto', 'instance', instance, 'route', e.route, 'reason', e.reason, 'active', e.active ? '1' : '0');
}

/** Appends an outlier ejection or un-ejection seen by `instance`. */
export async function appendHostEvent(redis: AnyRedis, instance: string, e: HostEvent): Promise<void> {
  await redis.xadd(SWITCH_LOG, 'MAXLEN', '~', String(CHANGE_LOG_MAX_ENTRIES), '*', 'type', 'host', 'instance', instance, 'cluster', e.cluster, 'host', e.host, 'ejected', e.ejected ? '1' : '0', 'reason', e.reason);
}

/** Appends a gateway instance starting (up) or stopping (down). */
export async function appendInstanceEvent(redis: AnyRedis, instance: string, up: boolean): Promise<void> {
  await redis.xadd(SWITCH_LOG, 'MAXLEN', '~', String(CHANGE_LOG_MAX_ENTRIES), '*', 'type', 'instance', 'instance', instance, 'up', up ? '1' : '0');
}

const PAGE = 200;
/** A route filter reads at most this many entries looking for matches, so one query stays bounded. */
const SCAN_BUDGET = 5_000;

/**
 * Reads the change log newest first, optionally within a time range and about one route. The
 * stream ids are Redis' own millisecond timestamps, so the range is an XREVRANGE on ids.
 */
export async function readChangeLog(redis: AnyRedis, q: ChangeLogQuery = {}): Promise<ChangeLogEntry[]> {
  const limit = Math.max(1, Math.min(1_000, q.limit ?? 100));
  const out: ChangeLogEntry[] = [];
  let end = q.to === undefined ? '+' : String(Math.floor(q.to));
  const start = q.from === undefined ? '-' : String(Math.floor(q.from));
  let scanned = 0;
  while (out.length < limit && scanned < SCAN_BUDGET) {
    const page = await redis.xrevrange(SWITCH_LOG, end, start, 'COUNT', PAGE);
    for (const [id, fields] of page) {
      const e = toEntry(id, fields);
      if (e && (q.route === undefined || mentions(e, q.route))) out.push(e);
      if (out.length === limit) break;
    }
    scanned += page.length;
    if (page.length < PAGE) break;
    end = `(${page[page.length - 1]![0]}`; // exclusive: continue below the last id read
  }
  return out;
}

function toEntry(id: string, fields: string[]): ChangeLogEntry | undefined {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const at = Number(id.slice(0, id.indexOf('-')));
  if (f.get('type') === 'host') {
    return { id, at, type: 'host', instance: f.get('instance') ?? '', cluster: f.get('cluster') ?? '', host: f.get('host') ?? '', ejected: f.get('ejected') === '1', reason: f.get('reason') ?? '' };
  }
  if (f.get('type') === 'instance') return { id, at, type: 'instance', instance: f.get('instance') ?? '', up: f.get('up') === '1' };
  if (f.get('type') === 'auto') {
    return { id, at, type: 'auto', instance: f.get('instance') ?? '', route: f.get('route') ?? '', reason: f.get('reason') ?? '', active: f.get('active') === '1' };
  }
  const version = Number(f.get('version'));
  if (!Number.isFinite(version)) return undefined;
  let document: unknown = null;
  try {
    document = JSON.parse(f.get('document') ?? 'null');
  } catch {
    /* an unreadable document is still an entry: who wrote which version, when */
  }
  return { id, at, type: 'switch', version, actor: f.get('actor') ?? '', document };
}

function mentions(e: ChangeLogEntry, route: string): boolean {
  if (e.type === 'auto') return e.route === route;
  if (e.type === 'host' || e.type === 'instance') return false;
  const d = e.document as { routes?: Record<string, unknown>; fallbacks?: Record<string, unknown> } | null;
  return d !== null && typeof d === 'object' && ((d.routes !== undefined && route in d.routes) || (d.fallbacks !== undefined && route in d.fallbacks));
}
