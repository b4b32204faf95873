import type { Host } from '../host/host.ts';
import type { EjectionType } from './ejection-type.ts';

// What outlier detection tells the rest of the engine: its events, its stats, a host's state.

/** One ejection decision, enforced or detect-only (shadow). */
export interface OutlierEvent {
  readonly action: 'eject' | 'uneject';
  readonly host: Host;
  readonly type: EjectionType | undefined;
  /** False when the detection was rolled out by `enforcing_*` (shadow mode) or hit the cap. */
  readonly enforced: boolean;
  /** True when `max_ejection_percent` prevented the ejection. */
  readonly overflow: boolean;
  readonly numEjections: number;
  /** Applied on another worker's word (ejectFromPeer / unejectFromPeer), not detected here. */
  readonly peer: boolean;
  /** For an enforced ejection: how long the host stays out (what a peer applies too). */
  readonly durationMs: number;
  /** For an enforced ejection: the host was judged by the answers it gave (see onActiveHealthCheck). */
  readonly forAnswers: boolean;
}

/** Envoy's `outlier_detection.*` stats; detected counts every detection, enforced only ejections. */
export interface OutlierStats {
  ejections_active: number;
  ejections_overflow: number;
  ejections_enforced_total: number;
  readonly ejections_detected: Record<EjectionType, number>;
  readonly ejections_enforced: Record<EjectionType, number>;
}

/** What the admin API shows per host. */
export interface HostOutlierState {
  readonly ejected: boolean;
  readonly ejectedFor: EjectionType | undefined;
  readonly numEjections: number;
  readonly ejectTimeBackoff: number;
  /** Time until the host is eligible for un-ejection; it leaves at the first sweep after that. */
  readonly ejectionTimeLeftMs: number;
  readonly successRate: number;
  readonly localOriginSuccessRate: number;
}
