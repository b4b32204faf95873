import type { Db } from '@/server/db/client.ts';
import type { FleetView } from '@/features/fleet/fleet-view.ts';

/**
 * The console's fleet history, for the charts: per route request rate, 5xx ratio, degraded-answer
 * rate and p99, and per cluster the ejected hosts, one row each per sample. Kept in the console's
 * database (Prisma), not in Redis: it must work in single-gateway mode without Redis, survive a
 * console restart, and be pruned to a retention (default 24 h) with one indexed DELETE.
 */
export async function recordSample(db: Db, view: FleetView, at = new Date(view.readAt)): Promise<number> {
  if (!view.reachable) return 0; // a gap in the chart is the truth; repeating the last read is not
  // Samples are taken at aligned times: a second console on the same database finds this slot
  // already written and skips it, so the history is not doubled.
  const taken = (await db.routeSample.findFirst({ where: { at }, select: { id: true } })) ?? (await db.clusterSample.findFirst({ where: { at }, select: { id: true } }));
  if (taken) return 0;
  const routes = view.routes.filter(r => r.rps !== null).map(r => ({ at, route: r.name, rps: r.rps!, errorRatio: r.errorRatio, degradedRate: r.degradedRate ?? 0, p99Ms: r.p99Ms }));
  const clusters = new Map<string, { ejected: number; hosts: number }>();
  for (const h of view.hosts) {
    const c = clusters.get(h.cluster) ?? { ejected: 0, hosts: 0 };
    c.hosts++;
    if (h.ejectedOn.length > 0) c.ejected++;
    clusters.set(h.cluster, c);
  }
  if (routes.length > 0) await db.routeSample.createMany({ data: routes });
  if (clusters.size > 0) await db.clusterSample.createMany({ data: [...clusters].map(([cluster, c]) => ({ at, cluster, ...c })) });
  return routes.length;
}

export async function pruneHistory(db: Db, retentionMs: number, now = Date.now()): Promise<void> {
  const before = new Date(now - retentionMs);
  await db.routeSample.deleteMany({ where: { at: { lt: before } } });
  await db.clusterSample.deleteMany({ where: { at: { lt: before } } });
}

export interface ChartData {
  readonly from: number;
  readonly to: number;
  /** Sample times (seconds since the epoch, as uPlot wants). */
  readonly times: number[];
  readonly routes: { readonly name: string; readonly rps: (number | null)[]; readonly errorRatio: (number | null)[]; readonly degradedRate: (number | null)[]; readonly p99Ms: (number | null)[] }[];
  readonly clusters: { readonly name: string; readonly ejected: (number | null)[] }[];
}

/** Samples in [from, to] aligned on one time axis (a route missing from a sample is a gap). */
export async function chartData(db: Db, from: Date, to: Date, routeFilter?: readonly string[]): Promise<ChartData> {
  const [rs, cs] = await Promise.all([
    db.routeSample.findMany({ where: { at: { gte: from, lte: to }, ...(routeFilter && { route: { in: [...routeFilter] } }) }, orderBy: { at: 'asc' } }),
    db.clusterSample.findMany({ where: { at: { gte: from, lte: to } }, orderBy: { at: 'asc' } }),
  ]);
  const stamps = [...new Set([...rs.map(r => r.at.getTime()), ...cs.map(c => c.at.getTime())])].sort((a, b) => a - b);
  const index = new Map(stamps.map((t, i) => [t, i]));
  const blank = () => stamps.map((): number | null => null);
  const routes = new Map<string, { name: string; rps: (number | null)[]; errorRatio: (number | null)[]; degradedRate: (number | null)[]; p99Ms: (number | null)[] }>();
  for (const r of rs) {
    let s = routes.get(r.route);
    if (!s) routes.set(r.route, (s = { name: r.route, rps: blank(), errorRatio: blank(), degradedRate: blank(), p99Ms: blank() }));
    const i = index.get(r.at.getTime())!;
    s.rps[i] = r.rps;
    s.errorRatio[i] = r.errorRatio;
    s.degradedRate[i] = r.degradedRate;
    s.p99Ms[i] = r.p99Ms;
  }
  const clusters = new Map<string, { name: string; ejected: (number | null)[] }>();
  for (const c of cs) {
    let s = clusters.get(c.cluster);
    if (!s) clusters.set(c.cluster, (s = { name: c.cluster, ejected: blank() }));
    s.ejected[index.get(c.at.getTime())!] = c.ejected;
  }
  return { from: from.getTime(), to: to.getTime(), times: stamps.map(t => t / 1000), routes: [...routes.values()].sort((a, b) => a.name.localeCompare(b.name)), clusters: [...clusters.values()] };
}
