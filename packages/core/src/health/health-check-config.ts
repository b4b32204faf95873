import { assertRange } from '../errors.ts';

/** Half-open status range [start, end), as Envoy's `expected_statuses` entries. */
export interface StatusRange {
  readonly start: number;
  readonly end: number;
}

/** Active health check settings, Envoy names, durations in ms. */
export interface HealthCheckConfig {
  readonly timeout: number;
  readonly interval: number;
  readonly initial_jitter: number;
  readonly interval_jitter: number;
  readonly interval_jitter_percent: number;
  readonly unhealthy_threshold: number;
  readonly healthy_threshold: number;
  readonly no_traffic_interval: number;
  readonly no_traffic_healthy_interval: number;
  readonly unhealthy_interval: number;
  readonly unhealthy_edge_interval: number;
  readonly healthy_edge_interval: number;
  readonly expected_statuses: readonly StatusRange[];
  readonly retriable_statuses: readonly StatusRange[];
  /** Hosts are excluded from load balancing until their first check (Envoy's ignore_new_hosts_until_first_hc). */
  readonly ignore_new_hosts_until_first_hc: boolean;
}

export type HealthCheckInput = Pick<
  HealthCheckConfig,
  'timeout' | 'interval' | 'unhealthy_threshold' | 'healthy_threshold'
> &
  Partial<HealthCheckConfig>;

/** Fills Envoy's defaults: the edge and unhealthy intervals inherit from `interval`. */
export function resolveHealthCheckConfig(input: HealthCheckInput): HealthCheckConfig {
  assertRange('timeout', input.timeout, 1);
  assertRange('interval', input.interval, 1);
  assertRange('unhealthy_threshold', input.unhealthy_threshold, 1);
  assertRange('healthy_threshold', input.healthy_threshold, 1);
  const noTraffic = input.no_traffic_interval ?? 60_000;
  const unhealthy = input.unhealthy_interval ?? input.interval;
  return Object.freeze({
    initial_jitter: 0,
    interval_jitter: 0,
    interval_jitter_percent: 0,
    expected_statuses: [{ start: 200, end: 201 }],
    retriable_statuses: [],
    ignore_new_hosts_until_first_hc: false,
    ...input,
    no_traffic_interval: noTraffic,
    no_traffic_healthy_interval: input.no_traffic_healthy_interval ?? noTraffic,
    unhealthy_interval: unhealthy,
    unhealthy_edge_interval: input.unhealthy_edge_interval ?? unhealthy,
    healthy_edge_interval: input.healthy_edge_interval ?? input.interval,
  });
}

export function inRanges(status: number, ranges: readonly StatusRange[]): boolean {
  for (const r of ranges) if (status >= r.start && status < r.end) return true;
  return false;
}
