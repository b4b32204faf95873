/** Why a host was detected as an outlier; the names are Envoy's stat suffixes. */
export const EjectionType = {
  Consecutive5xx: 'consecutive_5xx',
  ConsecutiveGatewayFailure: 'consecutive_gateway_failure',
  ConsecutiveLocalOriginFailure: 'consecutive_local_origin_failure',
  SuccessRate: 'success_rate',
  LocalOriginSuccessRate: 'local_origin_success_rate',
  FailurePercentage: 'failure_percentage',
  LocalOriginFailurePercentage: 'local_origin_failure_percentage',
} as const;
export type EjectionType = (typeof EjectionType)[keyof typeof EjectionType];

export const EJECTION_TYPES: readonly EjectionType[] = Object.values(EjectionType);

/**
 * Events the data plane reports besides HTTP status codes (Envoy's `Outlier::Result`).
 * `connect_success` is reported when the connection is up; `connect_success_final` when the whole
 * exchange succeeded without an HTTP status to report (e.g. TCP).
 */
export const LocalOriginResult = {
  ConnectSuccess: 'connect_success',
  ConnectSuccessFinal: 'connect_success_final',
  ConnectFailed: 'connect_failed',
  Timeout: 'timeout',
  ExtRequestSuccess: 'ext_request_success',
  ExtRequestFailed: 'ext_request_failed',
} as const;
export type LocalOriginResult = (typeof LocalOriginResult)[keyof typeof LocalOriginResult];
