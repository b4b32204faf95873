import { randomInt, type Random } from '../random.ts';
import type { Host } from '../host/host.ts';
import type { HostSet } from '../host/host-set.ts';

/** Envoy's default overprovisioning factor (1.4): 72% healthy hosts still take 100% of the load. */
const OVERPROVISIONING = 140;

export interface SourceStats {
  lb_healthy_panic: number;
  upstream_cx_none_healthy: number;
}

/**
 * Chooses which hosts a pick draws from, with Envoy's single-priority panic rule: a host set panics
 * when its availability (healthy + degraded, overprovisioned by 1.4) is below 100% AND its raw
 * healthy+degraded share is below `panicThreshold` percent. In panic every host — ejected and
 * failed ones included — takes traffic, because some answers beat none. A threshold of 0 disables
 * panic; then a set with nothing available yields undefined ("no healthy upstream").
 * Degraded hosts take only the spill-over the healthy ones cannot cover.
 */
export function chooseSource(
  set: HostSet,
  panicThreshold: number,
  random: Random,
  stats: SourceStats,
): readonly Host[] | undefined {
  const healthy = set.healthy;
  const degraded = set.degraded;
  const n = set.hosts.length - set.excluded;
  if (n > 0 && healthy.length === n) return healthy; // fast path: everything healthy
  const healthPct = n > 0 ? Math.min(100, Math.floor((OVERPROVISIONING * healthy.length) / n)) : 0;
  const degradedPct = n > 0 ? Math.min(100, Math.floor((OVERPROVISIONING * degraded.length) / n)) : 0;
  const availability = Math.min(100, healthPct + degradedPct);
  if (panicThreshold === 0 && availability === 0) {
    stats.upstream_cx_none_healthy++;
    return undefined;
  }
  const rawPct = n > 0 ? Math.floor((100 * (healthy.length + degraded.length)) / n) : 0;
  if (availability < 100 && rawPct < panicThreshold) {
    stats.lb_healthy_panic++;
    return set.hosts.length > 0 ? set.hosts : undefined;
  }
  if (availability === 0) {
    stats.upstream_cx_none_healthy++;
    return undefined;
  }
  if (degraded.length === 0) return healthy;
  if (healthy.length === 0) return degraded;
  // Healthy load = healthPct normalised to the total availability; the rest spills to degraded.
  const healthyLoad = Math.min(100, Math.floor((healthPct * 100) / availability));
  return randomInt(random, 100) < healthyLoad ? healthy : degraded;
}

/**
 * Whether a pick could land on a host outside `tried`: some host not in `tried` is in the set a
 * pick draws from now (healthy or degraded; every host in panic). Read-only (no stats), for the
 * retry path's "is there somewhere else to go" question; O(hosts), only asked on a retry.
 */
export function hasUntriedHost(set: HostSet, panicThreshold: number, tried: readonly Host[]): boolean {
  const n = set.hosts.length - set.excluded;
  const up = set.healthy.length + set.degraded.length;
  const availability = n > 0 ? Math.min(100, Math.floor((OVERPROVISIONING * up) / n)) : 0;
  const panic = panicThreshold > 0 && availability < 100 && (n > 0 ? Math.floor((100 * up) / n) : 0) < panicThreshold;
  if (panic) return set.hosts.some(h => !tried.includes(h));
  return set.healthy.some(h => !tried.includes(h)) || set.degraded.some(h => !tried.includes(h));
}
