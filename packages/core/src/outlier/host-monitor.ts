import type { OutlierDetectionConfig } from './outlier-config.ts';
import { EjectionType } from './ejection-type.ts';

/**
 * Two-bucket success counter: writes go to `current`; each sweep swaps the buckets so every
 * calculation reads the interval that has just finished (Envoy's SuccessRateAccumulator).
 */
export class SuccessRateBuckets {
  currentTotal = 0;
  currentSuccess = 0;
  backupTotal = 0;
  backupSuccess = 0;
  /** Last computed rate for display, -1 when the host lacked volume. */
  displayed = -1;

  record(success: boolean): void {
    this.currentTotal++;
    if (success) this.currentSuccess++;
  }

  swap(): void {
    this.backupTotal = this.currentTotal;
    this.backupSuccess = this.currentSuccess;
    this.currentTotal = 0;
    this.currentSuccess = 0;
    this.displayed = -1;
  }
}

export const FIRED_GATEWAY = 1;
export const FIRED_5XX = 2;

/**
 * Per-host outlier counters, fed on the request path. Methods return the detection they trigger
 * (or undefined) and leave ejection decisions to the detector. Thresholds compare with `===` as in
 * Envoy: a counter that runs past its threshold while the host is ejected does not fire again
 * until un-ejection resets it.
 */
export class HostMonitor {
  consecutive5xx = 0;
  consecutiveGatewayFailure = 0;
  consecutiveLocalOriginFailure = 0;
  readonly external = new SuccessRateBuckets();
  readonly local = new SuccessRateBuckets();
  numEjections = 0;
  ejectTimeBackoff = 0;
  jitterMs = 0;
  lastEjectionTime = -1;
  lastUnejectionTime = -1;
  /** Which detection ejected the host (for the admin API); undefined while not ejected. */
  ejectedFor: EjectionType | undefined;
  /** The last failure reported was local-origin (connect failure, timeout), not an answer. */
  lastFailureLocal = false;
  /** Ejected for the answers it gave (5xx), not for failing to answer. */
  ejectedForAnswers = false;
  /** The active health check marked the host failed while it was ejected. */
  activeHcFailedWhileEjected = false;
  /** Set while the host is out because another worker ejected it: that worker's ejection time. */
  peerDurationMs: number | undefined;

  /**
   * Envoy's putHttpResponseCode: 1xx–4xx are successes, 429 included. Returns a bitmask of the
   * detections fired (FIRED_GATEWAY, FIRED_5XX): one 503 can fire both, and Envoy reports the
   * gateway failure first.
   */
  putHttpResponseCode(code: number, cfg: OutlierDetectionConfig): number {
    this.external.currentTotal++;
    if (code >= 500 && code <= 599) {
      let fired = 0;
      if (code === 502 || code === 503 || code === 504) {
        if (++this.consecutiveGatewayFailure === cfg.consecutive_gateway_failure) fired |= FIRED_GATEWAY;
      } else {
        this.consecutiveGatewayFailure = 0;
      }
      if (++this.consecutive5xx === cfg.consecutive_5xx) fired |= FIRED_5XX;
      return fired;
    }
    this.external.currentSuccess++;
    this.consecutive5xx = 0;
    this.consecutiveGatewayFailure = 0;
    return 0;
  }

  localOriginFailure(cfg: OutlierDetectionConfig): EjectionType | undefined {
    this.local.currentTotal++;
    if (++this.consecutiveLocalOriginFailure === cfg.consecutive_local_origin_failure) {
      return EjectionType.ConsecutiveLocalOriginFailure;
    }
    return undefined;
  }

  localOriginNoFailure(): void {
    this.local.record(true);
    this.consecutiveLocalOriginFailure = 0;
  }

  resetCounter(type: EjectionType): void {
    if (type === EjectionType.Consecutive5xx) this.consecutive5xx = 0;
    else if (type === EjectionType.ConsecutiveGatewayFailure) this.consecutiveGatewayFailure = 0;
    else if (type === EjectionType.ConsecutiveLocalOriginFailure) this.consecutiveLocalOriginFailure = 0;
  }

  resetAllCounters(): void {
    this.consecutive5xx = 0;
    this.consecutiveGatewayFailure = 0;
    this.consecutiveLocalOriginFailure = 0;
  }
}
