import { shedByLevel, type Priority } from '@brownout/core';
import type { SwitchDocument } from '@brownout/core/config';
import type { InstanceStatus } from './instance-status.ts';
import type { RateTracker } from './rate-tracker.ts';

export type InstanceState = 'alive' | 'stale' | 'gone';

export interface InstanceView {
  readonly instance: string;
  readonly state: InstanceState;
  readonly heartbeatAgeMs: number | null;
  readonly switchesVersion: number | null;
  /** How long since this instance last heard from the switch store (null: embedded or unknown). */
  readonly switchesStaleMs: number | null;
  readonly draining: boolean;
  /** Fallback revision served per route (published fallbacks only). */
  readonly fallbackRevisions: Readonly<Record<string, number | null>>;
}

export interface HostView {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  readonly reportedBy: number;
  /** Envoy-style health flags seen on any instance ("healthy" when none). */
  readonly flags: readonly string[];
  readonly ejectedOn: readonly { readonly instance: string; readonly reason: string | null; readonly count: number; readonly timeLeftMs: number }[];
}

export interface RouteDegradation {
  readonly source: 'operator' | 'level' | 'automatic';
  readonly mode: string;
  readonly reason: string;
  readonly actor: string | null;
  readonly at: string | null;
  readonly expiresAt: string | null;
  readonly shadow: boolean;
  readonly ticket: string | null;
  /** Automatic: the instances degrading it. */
  readonly instances?: readonly string[];
}

export interface RouteView {
  readonly name: string;
  readonly cluster: string;
  readonly priority: string;
  readonly rps: number | null;
  readonly errorRatio: number | null;
  /** Degraded answers per second. */
  readonly degradedRate: number | null;
  /** p99 latency in ms over the rate window (from the gateways' histograms). */
  readonly p99Ms: number | null;
  readonly degradations: readonly RouteDegradation[];
}

export interface FleetView {
  readonly mode: 'fleet' | 'single' | 'none';
  readonly target: string | null;
  /** When this view was read (ms since the epoch). */
  readonly readAt: number;
  /** Whether the last read reached the gateways; when false the rest is the last good read. */
  readonly reachable: boolean;
  readonly error: string | null;
  readonly lastGoodAt: number | null;
  readonly document: { readonly version: number; readonly globalLevel: number; readonly globalShadow: boolean; readonly updatedAt: string | null; readonly updatedBy: string | null } | null;
  readonly switchRoutes: SwitchDocument['routes'];
  /** The published fallback revision per route, in the switch document. */
  readonly publishedFallbacks: Readonly<Record<string, number | null>>;
  readonly instances: readonly InstanceView[];
  readonly hosts: readonly HostView[];
  readonly routes: readonly RouteView[];
}

/** Within this many heartbeats an instance is alive; past it, stale (its entry expires at 3). */
const ALIVE_HEARTBEATS = 2;

export function instanceViews(instances: readonly InstanceStatus[], gone: readonly string[], now: number): InstanceView[] {
  const live = instances.map(s => {
    const hb = s.heartbeat_at ? Date.parse(s.heartbeat_at) : NaN;
    const age = Number.isFinite(hb) ? Math.max(0, now - hb) : null;
    const period = s.heartbeat_ms ?? 2_000;
    return {
      instance: s.instance,
      state: age !== null && age <= ALIVE_HEARTBEATS * period + 500 ? ('alive' as const) : ('stale' as const),
      heartbeatAgeMs: age,
      switchesVersion: s.switches_version ?? null,
      switchesStaleMs: s.switches_stale_ms ?? null,
      draining: s.draining,
      fallbackRevisions: s.fallback_revisions,
    };
  });
  const goneViews = gone.map(instance => ({ instance, state: 'gone' as const, heartbeatAgeMs: null, switchesVersion: null, switchesStaleMs: null, draining: false, fallbackRevisions: {} }));
  return [...live, ...goneViews];
}

export function hostViews(instances: readonly InstanceStatus[]): HostView[] {
  const hosts = new Map<string, { cluster: string; address: string; port: number; reportedBy: number; flags: Set<string>; ejectedOn: HostView['ejectedOn'][number][] }>();
  for (const s of instances) {
    for (const c of s.clusters) {
      for (const h of c.hosts) {
        const key = `${c.name}\u0000${h.address}:${h.port}`;
        let m = hosts.get(key);
        if (!m) hosts.set(key, (m = { cluster: c.name, address: h.address, port: h.port, reportedBy: 0, flags: new Set(), ejectedOn: [] }));
        m.reportedBy++;
        for (const f of h.health_flags.split('/')) if (f !== '' && f !== 'healthy') m.flags.add(f);
        if (h.ejected) m.ejectedOn.push({ instance: s.instance, reason: h.ejected_for, count: h.ejection_count, timeLeftMs: Math.round(h.ejection_time_left_ms) });
      }
    }
  }
  return [...hosts.values()]
    .map(h => ({ ...h, flags: h.flags.size === 0 ? ['healthy'] : [...h.flags].sort() }))
    .sort((a, b) => a.cluster.localeCompare(b.cluster) || a.address.localeCompare(b.address) || a.port - b.port);
}

const PRIORITY_ORDER: Record<string, number> = { critical: 0, high: 1, normal: 2, low: 3 };

export function routeViews(instances: readonly InstanceStatus[], doc: SwitchDocument | null, rates: RateTracker): RouteView[] {
  const meta = new Map<string, { cluster: string; priority: string }>();
  for (const s of instances) for (const m of s.route_meta) if (!meta.has(m.name)) meta.set(m.name, { cluster: m.cluster, priority: m.priority });
  const auto = new Map<string, Map<string, string[]>>();
  for (const s of instances) {
    for (const a of s.automatic) {
      const byReason = auto.get(a.route) ?? new Map<string, string[]>();
      auto.set(a.route, byReason);
      byReason.set(a.reason, [...(byReason.get(a.reason) ?? []), s.instance]);
    }
  }
  const level = doc?.global_level ?? 0;
  return [...meta.entries()]
    .map(([name, m]) => {
      const degradations: RouteDegradation[] = [];
      const sw = doc?.routes[name];
      if (sw && sw.mode !== 'normal') {
        degradations.push({ source: 'operator', mode: sw.mode, reason: sw.reason, actor: sw.actor, at: doc.updated_at ?? null, expiresAt: sw.expires_at ?? null, shadow: sw.shadow, ticket: sw.ticket ?? null });
      }
      if (level > 0 && (!sw || sw.mode !== 'normal') && m.priority in PRIORITY_ORDER && shedByLevel(m.priority as Priority, level)) {
        degradations.push({ source: 'level', mode: 'shed', reason: `global level ${level}`, actor: doc?.updated_by ?? null, at: doc?.updated_at ?? null, expiresAt: null, shadow: doc?.global_shadow ?? false, ticket: null });
      }
      for (const [reason, on] of auto.get(name) ?? []) {
        degradations.push({ source: 'automatic', mode: 'automatic', reason, actor: null, at: null, expiresAt: null, shadow: false, ticket: null, instances: on });
      }
      const r = rates.route(name);
      return { name, cluster: m.cluster, priority: m.priority, rps: r?.rps ?? null, errorRatio: r?.errorRatio ?? null, degradedRate: r?.degradedRate ?? null, p99Ms: r?.p99Ms ?? null, degradations };
    })
    .sort((a, b) => (PRIORITY_ORDER[a.priority] ?? 9) - (PRIORITY_ORDER[b.priority] ?? 9) || a.name.localeCompare(b.name));
}
