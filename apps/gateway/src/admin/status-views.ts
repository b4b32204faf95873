import type { Engine } from '@brownout/core';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { automaticDegradations } from '../degradation/automatic-degradations.ts';

/** `GET /clusters`: every host's health flags, ejection and counters, and the cluster limits left. */
export function clusterStatus(engine: Engine): unknown[] {
  return [...engine.clusters.values()].map(c => ({
    name: c.name,
    lb_policy: c.config.lb_policy,
    outlier_detection: c.outlier
      ? {
          ejections_active: c.outlier.stats.ejections_active,
          success_rate_average: c.outlier.successRateAverage,
          success_rate_ejection_threshold: c.outlier.successRateEjectionThreshold,
        }
      : null,
    limits: { default: c.limits.default.remaining(), high: c.limits.high.remaining() },
    hosts: c.hostStatuses(),
  }));
}

export function routeStatus(engine: Engine, metrics: GatewayMetrics): unknown[] {
  const counts = metrics.routeCounts();
  return engine.routes.map(r => ({
    name: r.name,
    cluster: r.cluster.name,
    priority: r.config.priority,
    // Cumulative client answers by status class: the console derives rates from two reads.
    requests: counts[r.name] ?? { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    breaker: r.breaker
      ? { type: r.breaker.config.type, state: r.breaker.current, retry_after_ms: Math.round(r.breaker.retryAfterMs()), ...(r.breaker.config.type === 'RED' && { decayed_error_rate: r.breaker.decayedRate() }), ...r.breaker.stats }
      : null,
    rules_active: r.ruleActive(),
  }));
}

/** What this instance publishes for the console (see FleetReporter). */
export function fleetSnapshot(
  engine: Engine,
  metrics: GatewayMetrics,
  self: { instance: string; started_at: string; draining: boolean; switches_version: number; switches_stale_ms: number | null; heartbeat_ms: number; fallbacks: Readonly<Record<string, { revision?: number | undefined }>> },
): unknown {
  const { fallbacks, ...identity } = self;
  return {
    ...identity,
    // What the console needs to show a route's blast radius: its cluster and priority tier.
    route_meta: engine.routes.map(r => ({ name: r.name, cluster: r.cluster.name, priority: r.config.priority })),
    heartbeat_at: new Date().toISOString(),
    automatic: automaticDegradations(engine),
    clusters: [...engine.clusters.values()].map(c => ({
      name: c.name,
      hosts: c.hostStatuses().map(h => ({
        address: h.address,
        port: h.port,
        health_flags: h.health_flags,
        ejected: h.ejected,
        ejected_for: h.ejected_for,
        ejection_count: h.ejection_count,
        ejection_time_left_ms: h.ejection_time_left_ms,
      })),
    })),
    routes: metrics.routeCounts(),
    route_detail: metrics.routeDetail(),
    // Which published fallback revision this instance serves per route (the console's fallback view).
    fallback_revisions: Object.fromEntries(Object.entries(fallbacks).map(([route, f]) => [route, f.revision ?? null])),
  };
}
