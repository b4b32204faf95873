/**
 * Independent health flags of a host, as a bitset (Envoy's HostImpl health flags). Each subsystem
 * owns its flag: active health checking sets FAILED_ACTIVE_HC, outlier detection FAILED_OUTLIER_CHECK.
 * A host's coarse health is derived from all of them, never stored.
 */
export const HealthFlag = {
  FailedActiveHc: 1,
  FailedOutlierCheck: 2,
  /** A new host under active checking that has not had its first check yet. */
  PendingActiveHc: 4,
  DegradedActiveHc: 8,
  /** Operator or discovery asked the host to drain: no new requests. */
  Draining: 16,
  ExcludedViaImmediateHcFail: 32,
  ActiveHcTimeout: 64,
} as const;
export type HealthFlag = (typeof HealthFlag)[keyof typeof HealthFlag];

/** The flags active health checking owns (what a worker takes over from the primary's checker). */
export const ACTIVE_HC_FLAGS =
  HealthFlag.FailedActiveHc | HealthFlag.PendingActiveHc | HealthFlag.DegradedActiveHc | HealthFlag.ExcludedViaImmediateHcFail | HealthFlag.ActiveHcTimeout;

/** Flag names in Envoy's `/clusters` order and spelling. */
export const HEALTH_FLAG_NAMES: readonly (readonly [HealthFlag, string])[] = [
  [HealthFlag.FailedActiveHc, 'failed_active_hc'],
  [HealthFlag.FailedOutlierCheck, 'failed_outlier_check'],
  [HealthFlag.DegradedActiveHc, 'degraded_active_hc'],
  [HealthFlag.PendingActiveHc, 'pending_active_hc'],
  [HealthFlag.ExcludedViaImmediateHcFail, 'excluded_via_immediate_hc_fail'],
  [HealthFlag.ActiveHcTimeout, 'active_hc_timeout'],
  [HealthFlag.Draining, 'draining'],
];

export const CoarseHealth = { Healthy: 'healthy', Degraded: 'degraded', Unhealthy: 'unhealthy' } as const;
export type CoarseHealth = (typeof CoarseHealth)[keyof typeof CoarseHealth];

const UNHEALTHY_MASK = HealthFlag.FailedActiveHc | HealthFlag.FailedOutlierCheck | HealthFlag.Draining;
const EXCLUDED_MASK = HealthFlag.PendingActiveHc | HealthFlag.ExcludedViaImmediateHcFail;

export function coarseHealth(flags: number): CoarseHealth {
  if (flags & UNHEALTHY_MASK) return CoarseHealth.Unhealthy;
  if (flags & HealthFlag.DegradedActiveHc) return CoarseHealth.Degraded;
  return CoarseHealth.Healthy;
}

/** Excluded hosts are left out of the panic denominator (Envoy load_balancing/excluded). */
export function isExcluded(flags: number): boolean {
  return (flags & EXCLUDED_MASK) !== 0;
}

/** `healthy`, or `/flag1/flag2` as Envoy's admin prints it. */
export function describeFlags(flags: number): string {
  if (flags === 0) return 'healthy';
  let out = '';
  for (const [flag, name] of HEALTH_FLAG_NAMES) if (flags & flag) out += '/' + name;
  return out;
}
