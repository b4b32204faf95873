import { z } from 'zod';
import { duration, positiveDuration, percent, count, hostObject } from './schema-primitives.ts';

// A cluster: its hosts, outlier detection, health checks, circuit-breaker thresholds, upstream TLS.

/** A host is `{address, port, weight}` or the shorthand "address:port". */
export const hostSchema = z.preprocess((v, ctx) => {
  if (typeof v !== 'string') return v;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected "host:port" without a scheme, got ${JSON.stringify(v)}: for HTTPS to the hosts give the cluster a \`tls\` block (a scheme here would be taken as part of the name and fail every request)`,
      input: v,
    });
    return z.NEVER;
  }
  const m = /^(.+):(\d{1,5})$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected "host:port", got ${JSON.stringify(v)}`, input: v });
    return z.NEVER;
  }
  return { address: m[1], port: Number(m[2]) };
}, hostObject);

export const outlierDetectionSchema = z
  .strictObject({
    consecutive_5xx: count.default(5),
    consecutive_gateway_failure: count.default(5),
    consecutive_local_origin_failure: count.default(5),
    interval: positiveDuration.default(10_000),
    base_ejection_time: positiveDuration.default(30_000),
    max_ejection_time: positiveDuration.optional(),
    max_ejection_time_jitter: duration.default(0),
    // Values over 100 are clamped, as Envoy does.
    max_ejection_percent: z.number().min(0).default(10).transform(v => Math.min(100, v)),
    always_eject_one_host: z.boolean().default(false),
    enforcing_consecutive_5xx: percent.default(100),
    enforcing_consecutive_gateway_failure: percent.default(0),
    enforcing_consecutive_local_origin_failure: percent.default(100),
    enforcing_success_rate: percent.default(100),
    enforcing_local_origin_success_rate: percent.default(100),
    success_rate_minimum_hosts: count.default(5),
    success_rate_request_volume: count.default(100),
    success_rate_stdev_factor: count.default(1900),
    failure_percentage_threshold: percent.default(85),
    // Unlike Envoy (0 and 5): enforced, and from 2 hosts, so a small cluster is protected too.
    enforcing_failure_percentage: percent.default(100),
    enforcing_failure_percentage_local_origin: percent.default(0),
    failure_percentage_minimum_hosts: count.default(2),
    failure_percentage_request_volume: count.default(50),
    /** Brownout's: points above the median of the cluster's other hosts that eject a host (see outlier-config.ts); 0 turns it off. */
    failure_percentage_relative_threshold: percent.default(20),
    split_external_local_origin_errors: z.boolean().default(false),
    successful_active_health_check_uneject_host: z.boolean().default(true),
    /** Brownout's: false (default) keeps a host ejected for 5xx answers out until its ejection time ends. */
    successful_active_health_check_uneject_5xx_host: z.boolean().default(false),
  })
  .transform((o, ctx) => {
    const max = o.max_ejection_time ?? Math.max(300_000, o.base_ejection_time);
    if (max < o.base_ejection_time) {
      ctx.addIssue({ code: 'custom', path: ['max_ejection_time'], message: 'cannot be smaller than base_ejection_time' });
    }
    return { ...o, max_ejection_time: max };
  });

const statusRange = z.strictObject({ start: z.number().int().min(100).max(599), end: z.number().int().min(101).max(600) }).refine(r => r.end > r.start, 'end must be greater than start');

export const healthCheckSchema = z
  .strictObject({
    timeout: positiveDuration,
    interval: positiveDuration,
    initial_jitter: duration.default(0),
    interval_jitter: duration.default(0),
    interval_jitter_percent: percent.default(0),
    unhealthy_threshold: z.number().int().min(1),
    healthy_threshold: z.number().int().min(1),
    no_traffic_interval: positiveDuration.default(60_000),
    no_traffic_healthy_interval: positiveDuration.optional(),
    unhealthy_interval: positiveDuration.optional(),
    unhealthy_edge_interval: positiveDuration.optional(),
    healthy_edge_interval: positiveDuration.optional(),
    ignore_new_hosts_until_first_hc: z.boolean().default(false),
    http_health_check: z
      .strictObject({
        path: z.string().startsWith('/'),
        host: z.string().optional(),
        method: z.enum(['GET', 'HEAD']).default('GET'),
        expected_statuses: z.array(statusRange).default([{ start: 200, end: 201 }]),
        retriable_statuses: z.array(statusRange).default([]),
        receive: z.string().optional(),
      })
      .optional(),
    tcp_health_check: z.strictObject({ send: z.string().optional(), receive: z.string().optional() }).optional(),
    /** Envoy's gRPC health check: grpc.health.v1.Health/Check for `service_name` ('' = the whole server). */
    grpc_health_check: z.strictObject({ service_name: z.string().max(256).default(''), authority: z.string().optional() }).optional(),
  })
  .superRefine((h, ctx) => {
    if ([h.http_health_check, h.tcp_health_check, h.grpc_health_check].filter(c => c !== undefined).length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of http_health_check, tcp_health_check or grpc_health_check' });
    }
    if (h.timeout >= h.interval) ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'must be shorter than interval' });
  });

const thresholdsSchema = z.strictObject({
  priority: z.enum(['default', 'high']).default('default'),
  max_connections: z.number().int().min(1).default(1024),
  max_pending_requests: count.default(1024),
  max_requests: z.number().int().min(1).default(1024),
  /** Envoy's fixed limit (its default 3). Left out with no retry_budget: Brownout's default budget (50%, min 32). */
  max_retries: count.optional(),
  retry_budget: z
    .strictObject({ budget_percent: percent.default(20), min_retry_concurrency: count.default(3) })
    .optional(),
});

/**
 * TLS to a cluster's hosts (Envoy's UpstreamTlsContext, flattened): the certificate is verified
 * against `trusted_ca` (else Node's bundled roots) and the host's name; `verify: false` turns that
 * off and the gateway warns about it at every start and reload. Health checks use the same settings.
 */
const upstreamTlsSchema = z
  .strictObject({
    /** Server name sent (SNI) and verified; default: the host's address when it is a name (an IP gets no SNI). */
    sni: z.string().min(1).optional(),
    trusted_ca: z.strictObject({ filename: z.string().min(1) }).optional(),
    verify: z.boolean().default(true),
    /** A client certificate for upstreams that require one (mutual TLS). */
    certificate_chain: z.strictObject({ filename: z.string().min(1) }).optional(),
    private_key: z.strictObject({ filename: z.string().min(1) }).optional(),
  })
  .refine(t => (t.certificate_chain === undefined) === (t.private_key === undefined), { message: 'certificate_chain and private_key go together', path: ['private_key'] });

export const clusterSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, "_", "." and "-" only'),
  hosts: z.array(hostSchema).min(1, 'a cluster needs at least one host'),
  lb_policy: z.enum(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM']).default('ROUND_ROBIN'),
  least_request_choice_count: z.number().int().min(2).default(2),
  healthy_panic_threshold: percent.default(50),
  connect_timeout: positiveDuration.default(5_000),
  /**
   * How long an idle upstream connection is kept when the upstream gives no `Keep-Alive: timeout`
   * hint (with a hint, one second less than the hint). Envoy's `idle_timeout` (its default is an
   * hour); ours is 60 s, inside nginx's 75 s default. A short one costs tail latency: idle
   * connections close between bursts and the next burst pays for new ones.
   */
  idle_timeout: positiveDuration.default(60_000),
  /** Hosts given by name are re-resolved this often, each address becoming a host (Envoy STRICT_DNS; default 5 s as Envoy's). */
  dns_refresh_rate: positiveDuration.default(5_000),
  /** Which address families a name expands to: Envoy's V4_PREFERRED (v4 if any, else v6), V4_ONLY, V6_ONLY or ALL. */
  dns_lookup_family: z.enum(['V4_PREFERRED', 'V4_ONLY', 'V6_ONLY', 'ALL']).default('V4_PREFERRED'),
  outlier_detection: outlierDetectionSchema.optional(),
  /** HTTPS to the hosts (see upstreamTlsSchema); absent: plain HTTP/1.1. */
  tls: upstreamTlsSchema.optional(),
  /**
   * Envoy's (pre-typed_extension_protocol_options) name: HTTP/2 to the hosts. With `tls` offered by
   * ALPN (a host that does not take h2 is spoken to in HTTP/1.1); without, cleartext h2c with prior
   * knowledge (every host must speak it). Health checks use the same protocol.
   */
  http2_protocol_options: z.strictObject({ max_concurrent_streams: z.number().int().min(1).max(65_535).default(100) }).optional(),
  health_checks: z.array(healthCheckSchema).max(1, 'one health check per cluster is supported').default([]),
  circuit_breakers: z.strictObject({ thresholds: z.array(thresholdsSchema).max(2) }).prefault({ thresholds: [] }),
}).superRefine((c, ctx) => {
  if (c.health_checks.some(h => h.grpc_health_check !== undefined) && c.http2_protocol_options === undefined) {
    ctx.addIssue({ code: 'custom', path: ['health_checks', 0, 'grpc_health_check'], message: 'gRPC runs over HTTP/2: set http2_protocol_options on the cluster' });
  }
});
