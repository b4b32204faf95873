import { assertRange } from '../errors.ts';

/**
 * Outlier detection settings with Envoy's field names and defaults (durations in ms). Includes the
 * surprising defaults on purpose: gateway-failure detection is detect-only
 * (`enforcing_consecutive_gateway_failure: 0`), and with `max_ejection_percent: 10` a cluster needs
 * 10 hosts before any ejection is allowed unless `always_eject_one_host` is set. Brownout differs
 * where Envoy's default leaves small clusters unprotected: failure-percentage detection is enforced
 * from 2 hosts (Envoy: detect-only, 5 hosts), judges a host against the cluster's other hosts as well
 * as against the absolute threshold (`failure_percentage_relative_threshold`), with its request
 * volume scaled down to the traffic the cluster actually gets, and a host ejected for 5xx answers is not un-ejected
 * by one passing health check (`successful_active_health_check_uneject_5xx_host`).
 */
export interface OutlierDetectionConfig {
  readonly consecutive_5xx: number;
  readonly consecutive_gateway_failure: number;
  readonly consecutive_local_origin_failure: number;
  readonly interval: number;
  readonly base_ejection_time: number;
  readonly max_ejection_time: number;
  readonly max_ejection_time_jitter: number;
  readonly max_ejection_percent: number;
  readonly always_eject_one_host: boolean;
  readonly enforcing_consecutive_5xx: number;
  readonly enforcing_consecutive_gateway_failure: number;
  readonly enforcing_consecutive_local_origin_failure: number;
  readonly enforcing_success_rate: number;
  readonly enforcing_local_origin_success_rate: number;
  readonly success_rate_minimum_hosts: number;
  readonly success_rate_request_volume: number;
  readonly success_rate_stdev_factor: number;
  readonly failure_percentage_threshold: number;
  readonly enforcing_failure_percentage: number;
  readonly enforcing_failure_percentage_local_origin: number;
  readonly failure_percentage_minimum_hosts: number;
  readonly failure_percentage_request_volume: number;
  /**
   * Brownout's: failure-percentage detection also judges a host against the cluster's own other
   * hosts — it is ejected when its failure percentage is at least this many points above their
   * median, even when it stays far below `failure_percentage_threshold` (Envoy's absolute 85%). A
   * 30%-flaky host among healthy ones is out at the next sweep; in a cluster-wide outage every host
   * fails alike, so none stands out. 0 turns the relative judgement off; `enforcing_failure_percentage:
   * 0` (Envoy's field) turns failure-percentage detection off altogether.
   */
  readonly failure_percentage_relative_threshold: number;
  readonly split_external_local_origin_errors: boolean;
  readonly successful_active_health_check_uneject_host: boolean;
  /**
   * Brownout's: whether a passing active health check also un-ejects a host ejected for its answers
   * (consecutive 5xx / gateway failures, success rate, failure percentage) when the check never saw
   * it fail. false (default; Envoy behaves as true): such a host serves its ejection time, which
   * grows with each re-ejection, so a flaky host that passes health checks stays out.
   */
  readonly successful_active_health_check_uneject_5xx_host: boolean;
}

export const OUTLIER_DEFAULTS: OutlierDetectionConfig = Object.freeze({
  consecutive_5xx: 5,
  consecutive_gateway_failure: 5,
  consecutive_local_origin_failure: 5,
  interval: 10_000,
  base_ejection_time: 30_000,
  max_ejection_time: 300_000,
  max_ejection_time_jitter: 0,
  max_ejection_percent: 10,
  always_eject_one_host: false,
  enforcing_consecutive_5xx: 100,
  enforcing_consecutive_gateway_failure: 0,
  enforcing_consecutive_local_origin_failure: 100,
  enforcing_success_rate: 100,
  enforcing_local_origin_success_rate: 100,
  success_rate_minimum_hosts: 5,
  success_rate_request_volume: 100,
  success_rate_stdev_factor: 1900,
  failure_percentage_threshold: 85,
  // Brownout's defaults differ here: Envoy's (detect-only, 5 hosts) leave a 3-host cluster unprotected.
  enforcing_failure_percentage: 100,
  enforcing_failure_percentage_local_origin: 0,
  failure_percentage_minimum_hosts: 2,
  failure_percentage_request_volume: 50,
  failure_percentage_relative_threshold: 20,
  split_external_local_origin_errors: false,
  successful_active_health_check_uneject_host: true,
  successful_active_health_check_uneject_5xx_host: false,
});

/**
 * Fills Envoy's defaults and checks ranges. `max_ejection_time` defaults to max(300s, base) as in
 * Envoy, and a max below base is rejected with Envoy's own wording.
 */
export function resolveOutlierConfig(
  partial: Partial<OutlierDetectionConfig> = {},
): OutlierDetectionConfig {
  const base = partial.base_ejection_time ?? OUTLIER_DEFAULTS.base_ejection_time;
  const cfg: OutlierDetectionConfig = {
    ...OUTLIER_DEFAULTS,
    ...partial,
    max_ejection_time: partial.max_ejection_time ?? Math.max(OUTLIER_DEFAULTS.max_ejection_time, base),
    // Envoy clamps rather than rejects an over-100 percentage.
    max_ejection_percent: Math.min(100, partial.max_ejection_percent ?? OUTLIER_DEFAULTS.max_ejection_percent),
  };
  assertRange('interval', cfg.interval, 1);
  assertRange('base_ejection_time', cfg.base_ejection_time, 1);
  if (cfg.max_ejection_time < cfg.base_ejection_time) {
    throw new RangeError("outlier detector's max_ejection_time cannot be smaller than base_ejection_time");
  }
  for (const key of [
    'enforcing_consecutive_5xx',
    'enforcing_consecutive_gateway_failure',
    'enforcing_consecutive_local_origin_failure',
    'enforcing_success_rate',
    'enforcing_local_origin_success_rate',
    'enforcing_failure_percentage',
    'enforcing_failure_percentage_local_origin',
    'failure_percentage_threshold',
    'failure_percentage_relative_threshold',
  ] as const) {
    assertRange(key, cfg[key], 0, 100);
  }
  return Object.freeze(cfg);
}
