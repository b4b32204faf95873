/** @brownout/core — the resilience engine. Pure TypeScript: no I/O, time and randomness injected. */
export { systemClock, timerDelay, MAX_TIMER_MS, type Clock, type Cancel } from './clock.ts';
export { systemRandom, randomInt, roll, type Random } from './random.ts';
export { ResilienceError, ConfigError, type ConfigIssue } from './errors.ts';
export { Listeners } from './events.ts';
export { parseDuration } from './duration.ts';

export { Host, type HostOptions } from './host/host.ts';
export { HostSet } from './host/host-set.ts';
export { ACTIVE_HC_FLAGS, HealthFlag, CoarseHealth, coarseHealth, describeFlags, isExcluded } from './host/health-flag.ts';

export { OutlierDetector, type OutlierEvent, type OutlierStats, type HostOutlierState } from './outlier/outlier-detector.ts';
export { resolveOutlierConfig, OUTLIER_DEFAULTS, type OutlierDetectionConfig } from './outlier/outlier-config.ts';
export { EjectionType, EJECTION_TYPES, LocalOriginResult } from './outlier/ejection-type.ts';
export { successRateThreshold } from './outlier/success-rate.ts';

export { HealthChecker, HealthTransition, type HealthCheckEvent, type FailureType } from './health/health-checker.ts';
export { resolveHealthCheckConfig, type HealthCheckConfig, type StatusRange } from './health/health-check-config.ts';
export type { Probe, ProbeOutcome } from './health/probe.ts';

export { ResourceLimits, ClusterLimits, Admission, RoutingPriority, THRESHOLD_DEFAULTS, type ThresholdsConfig } from './limits/resource-limits.ts';
export { CircuitBreaker, CircuitState, BREAKER_DEFAULTS, type CircuitBreakerConfig, type StateChange } from './breaker/circuit-breaker.ts';
export { RollingWindow } from './breaker/rolling-window.ts';

export { RetryOn, ResetKind, parseRetryOn, GRPC_RETRY_ON, RETRY_ON_ANY_STATUS, grpcRetryBit } from './retry/retry-on.ts';
export { GrpcStatus, httpStatusForGrpc, grpcStatusForHttp, parseGrpcStatus, parseGrpcTimeout, formatGrpcTimeout } from './grpc/grpc-status.ts';
export { ExponentialBackoff, parseResetInterval, rateLimitedDelay } from './retry/backoff.ts';
export { RETRY_POLICY_DEFAULTS, isIdempotent, type RetryPolicy, type HeaderMatcher } from './retry/retry-policy.ts';
export { RetryState, NoRetry, emptyRetryStats, type RetryDecision, type RetryStats } from './retry/retry-state.ts';
export { Deadline, DEADLINE_HEADER, parseDeadlineHeader } from './timeout/deadline.ts';

export { TokenBucket, type TokenBucketConfig } from './rate-limit/token-bucket.ts';
export { KeyedRateLimiter, emptyRateLimitResult, type RateLimitResult } from './rate-limit/keyed-rate-limiter.ts';
export { FailOpenLimiter, type DistributedRateLimiter, type FailureMode, type FailOpenStats } from './rate-limit/distributed-limiter.ts';

export { FaultInjector, FaultHeader, emptyFaultDecision, type FaultConfig, type FaultDecision } from './fault/fault-injector.ts';

export { LoadBalancer, LbPolicy, LB_DEFAULTS, NO_HEALTHY_HOST, isNoHealthyHost, type PickResult } from './load-balancer/load-balancer.ts';

export { Priority, PRIORITIES, MAX_LEVEL, shedByLevel } from './degradation/priority.ts';
export { renderFallbackBody } from './degradation/fallback-body.ts';
export { DegradeMode, DegradeReason, DEGRADE_MODES, resolveChain } from './degradation/degrade-mode.ts';
export {
  decideDegradation,
  degradedHeader,
  emptyDecision,
  EMPTY_SWITCHES,
  type DegradeDecision,
  type RouteDegradationConfig,
  type RouteSwitch,
  type SwitchState,
  type TriggerSignals,
} from './degradation/degradation-policy.ts';
export { RuleTrigger, RULE_DEFAULTS, type RuleConfig } from './degradation/rule-trigger.ts';

export { Engine } from './engine/engine.ts';
export { ClusterRuntime, type EngineDeps, type HostStatus, type ProbeFactory } from './engine/cluster-runtime.ts';
export { RouteRuntime } from './engine/route-runtime.ts';
