import { z } from 'zod';
import { parseDuration } from '../duration.ts';
import { RETRY_ON_NAMES, type RetryOnName } from '../retry/retry-on.ts';
import { DEGRADE_MODES } from '../degradation/degrade-mode.ts';
import { PRIORITIES, MAX_LEVEL } from '../degradation/priority.ts';

/**
 * The gateway config, with Envoy's snake_case names and defaults. Durations are strings ("250ms",
 * "10s") or integer milliseconds, and parse to milliseconds. Every default below is Envoy's unless
 * its comment says otherwise.
 */

/**
 * The longest duration any field accepts. Nothing in a gateway needs to wait longer, and Node's
 * timers turn anything above 2^31−1 ms (~24.8 days) into a 1 ms loop.
 */
export const MAX_DURATION_MS = 86_400_000;

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : parseDuration(v);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as "250ms", "10s" or "1m", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `at most 24h (${MAX_DURATION_MS} ms), got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});
const positiveDuration = duration.refine(v => v > 0, 'must be greater than 0');
const percent = z.number().min(0).max(100);
const count = z.number().int().min(0);
const status = z.number().int().min(200).max(599);

const IP_FORMS = [z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()];
const addressOrCidr = z.string().refine(v => IP_FORMS.some(f => f.safeParse(v).success), {
  error: v => `expected an IPv4/IPv6 address or CIDR range such as "10.0.0.0/8" or "fd00::/8", got ${JSON.stringify(v.input)}`,
});

const hostObject = z.strictObject({
  // An address, not a URL: "https://api" would be accepted as a host name and fail every request.
  address: z.string().min(1).regex(/^[^/\s]+$/, 'an address (name, IPv4 or [IPv6]) without a scheme or path'),
  port: z.number().int().min(1).max(65535),
  weight: z.number().int().min(1).max(128).default(1),
});

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
  })
  .superRefine((h, ctx) => {
    if (!h.http_health_check === !h.tcp_health_check) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of http_health_check or tcp_health_check' });
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

const clusterSchema = z.strictObject({
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
});

const headerMatcher = z.strictObject({
  name: z.string().min(1).transform(s => s.toLowerCase()),
  exact: z.string().optional(),
  present: z.boolean().optional(),
});

const retryOn = z.union([z.string(), z.array(z.string())]).transform((v, ctx) => {
  const names = (typeof v === 'string' ? v.split(',') : v).map(s => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(RETRY_ON_NAMES as string[]).includes(n)) {
      ctx.addIssue({ code: 'custom', message: `unknown retry_on condition "${n}"; known: ${RETRY_ON_NAMES.join(', ')}` });
    }
  }
  return names as RetryOnName[];
});

const retryPolicySchema = z
  .strictObject({
    retry_on: retryOn.default([]),
    num_retries: count.default(1),
    per_try_timeout: duration.default(0),
    retry_back_off: z
      .strictObject({
        base_interval: positiveDuration.default(25),
        max_interval: positiveDuration.optional(),
        /** false (default, unlike Envoy): a retry to a host not tried yet does not wait. See RetryPolicy. */
        apply_to_other_hosts: z.boolean().default(false),
      })
      .prefault({}),
    rate_limited_retry_back_off: z
      .strictObject({
        reset_headers: z
          .array(z.strictObject({ name: z.string().min(1).transform(s => s.toLowerCase()), format: z.enum(['SECONDS', 'UNIX_TIMESTAMP']).default('SECONDS') }))
          .min(1),
        max_interval: positiveDuration.default(300_000),
      })
      .optional(),
    retriable_status_codes: z.array(status).default([]),
    retriable_headers: z.array(headerMatcher).default([]),
    avoid_previous_hosts: z.boolean().default(true),
    host_selection_retry_max_attempts: count.default(3),
    retry_non_idempotent: z.boolean().default(false),
  })
  .transform((r, ctx) => {
    const max = r.retry_back_off.max_interval ?? r.retry_back_off.base_interval * 10;
    if (max < r.retry_back_off.base_interval) {
      ctx.addIssue({ code: 'custom', path: ['retry_back_off', 'max_interval'], message: 'must be at least base_interval' });
    }
    return { ...r, retry_back_off: { base_interval: r.retry_back_off.base_interval, max_interval: max, apply_to_other_hosts: r.retry_back_off.apply_to_other_hosts } };
  });

const breakerObject = z
  .strictObject({
    /**
     * ROLLING_WINDOW (default): consecutive / failure-ratio / slow-call rules over a bucketed window.
     * RED (Rolling Exponential Decay, the seed's breaker): a time-decayed error rate with
     * `rr_high_threshold` / `rr_low_threshold` hysteresis; open for `rr_reset_interval`.
     */
    type: z.enum(['ROLLING_WINDOW', 'RED']).default('ROLLING_WINDOW'),
    consecutive_failures: count.default(5),
    failure_ratio: z.number().min(0).max(1).default(0.5),
    close_failure_ratio: z.number().min(0).max(1).optional(),
    slow_call_duration: duration.default(0),
    slow_call_ratio: z.number().min(0).max(1).default(1),
    minimum_requests: count.default(20),
    window: positiveDuration.default(10_000),
    window_buckets: z.number().int().min(1).max(1000).default(10),
    open_duration: positiveDuration.default(30_000),
    open_backoff_multiplier: z.number().min(1).default(1),
    max_open_duration: positiveDuration.default(300_000),
    half_open_max_calls: z.number().int().min(1).default(1),
    mode: z.enum(['enforce', 'shadow']).default('enforce'),
    rr_high_threshold: z.number().optional(),
    rr_low_threshold: z.number().optional(),
    rr_reset_interval: positiveDuration.optional(),
    /** RED's decay half-life; by default a third of rr_reset_interval (the rate falls 8× while open). */
    rr_half_life: positiveDuration.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.close_failure_ratio !== undefined && b.close_failure_ratio > b.failure_ratio) {
      ctx.addIssue({ code: 'custom', path: ['close_failure_ratio'], message: 'must not exceed failure_ratio (it is the low hysteresis mark)' });
    }
    const red = b.type === 'RED';
    for (const f of ['rr_high_threshold', 'rr_low_threshold', 'rr_reset_interval', 'rr_half_life'] as const) {
      if (!red && b[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: 'only with type: RED' });
    }
    if (red) {
      const high = b.rr_high_threshold ?? 0.5;
      const low = b.rr_low_threshold ?? 0.1;
      if (!(high > 0 && high <= 1)) ctx.addIssue({ code: 'custom', path: ['rr_high_threshold'], message: 'must be in (0, 1]' });
      if (!(low > 0 && low < high)) ctx.addIssue({ code: 'custom', path: ['rr_low_threshold'], message: `must be above 0 and below rr_high_threshold (${high})` });
    }
    const open = red ? (b.rr_reset_interval ?? 30_000) : b.open_duration;
    if (b.max_open_duration < open) {
      ctx.addIssue({ code: 'custom', path: ['max_open_duration'], message: `must be at least ${red ? 'rr_reset_interval' : 'open_duration'}` });
    }
  })
  .transform(b => {
    const { rr_reset_interval, ...rest } = b;
    if (b.type !== 'RED') return { ...rest, close_failure_ratio: b.close_failure_ratio ?? b.failure_ratio, rr_high_threshold: 0.5, rr_low_threshold: 0.1, rr_half_life: 10_000 };
    const reset = rr_reset_interval ?? 30_000;
    return {
      ...rest,
      close_failure_ratio: b.close_failure_ratio ?? b.failure_ratio,
      // RED's reset interval is how long the breaker stays open before probing.
      open_duration: reset,
      rr_high_threshold: b.rr_high_threshold ?? 0.5,
      rr_low_threshold: b.rr_low_threshold ?? 0.1,
      rr_half_life: b.rr_half_life ?? Math.max(1, Math.round(reset / 3)),
    };
  });

/** A route's breaker; the seed's form, wrapped in `spec:`, is accepted as written. */
export const breakerSchema = z.preprocess(
  v => (typeof v === 'object' && v !== null && 'spec' in v && Object.keys(v).length === 1 ? v.spec : v),
  breakerObject,
);

const rateLimitSchema = z.strictObject({
  token_bucket: z.strictObject({
    max_tokens: z.number().int().min(1),
    tokens_per_fill: z.number().int().min(1).default(1),
    fill_interval: positiveDuration,
  }),
  key: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('client_ip') }),
      z.strictObject({ type: z.literal('header'), name: z.string().min(1).transform(s => s.toLowerCase()) }),
    ])
    .default({ type: 'client_ip' }),
  max_keys: z.number().int().min(1).default(10_000),
  /** `distributed` uses the shared Redis limiter (fails open); `local` a per-instance bucket. */
  scope: z.enum(['local', 'distributed']).default('local'),
  status: z.number().int().min(400).max(599).default(429),
  /**
   * Envoy's name and values: `DRAFT_VERSION_03` adds `x-ratelimit-limit/remaining/reset` to every
   * response that went through the bucket; `OFF` (Envoy's default) only to the limited answers,
   * which always carry them with `retry-after`.
   */
  enable_x_ratelimit_headers: z.enum(['OFF', 'DRAFT_VERSION_03']).default('OFF'),
});

const faultSchema = z.strictObject({
  abort: z
    .strictObject({ http_status: status, percentage: percent.default(0), header_abort: z.boolean().default(false) })
    .optional(),
  delay: z
    .strictObject({ fixed_delay: duration.default(0), percentage: percent.default(0), header_delay: z.boolean().default(false) })
    .optional(),
  max_active_faults: z.number().int().min(0).optional(),
});

const ruleSchema = z
  .strictObject({
    metric: z.enum(['error_ratio', 'latency']),
    enter: z.number().min(0),
    exit: z.number().min(0),
    minimum_requests: count.default(20),
    window: positiveDuration.default(10_000),
    min_hold: duration.default(10_000),
    probe_percent: percent.default(10),
    recovery_minimum_requests: z.number().int().min(1).default(5),
  })
  .superRefine((r, ctx) => {
    if (r.exit > r.enter) ctx.addIssue({ code: 'custom', path: ['exit'], message: 'must not exceed enter (hysteresis: leave below where you entered)' });
    if (r.metric === 'error_ratio' && r.enter > 1) ctx.addIssue({ code: 'custom', path: ['enter'], message: 'an error ratio is between 0 and 1' });
  });

/**
 * Headers a fallback response may not set: hop-by-hop ones (they describe one connection, not the
 * answer), framing the server computes (`content-length`, `transfer-encoding`: a wrong value would
 * desynchronise the client's connection), and the gateway's own degradation marker.
 */
export const FORBIDDEN_FALLBACK_HEADERS: readonly string[] = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length', 'x-brownout-degraded'];
/** RFC 9110 token: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Field values: visible characters, spaces and tabs; never CR, LF or NUL (header injection). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export const fallbackHeadersSchema = z
  .record(z.string(), z.string().max(8_192, 'at most 8 KiB').regex(HEADER_VALUE, 'no CR, LF or control characters in a header value'))
  .superRefine((headers, ctx) => {
    for (const name of Object.keys(headers)) {
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a valid header name` });
      else if (FORBIDDEN_FALLBACK_HEADERS.includes(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" cannot be set by a fallback (hop-by-hop or framing header, set by the server)` });
    }
    if (Object.keys(headers).length > 50) ctx.addIssue({ code: 'custom', path: [], message: 'at most 50 headers' });
  });

export const fallbackResponseSchema = z.strictObject({
  status: z.number().int().min(200, 'a status from 200 to 599').max(599, 'a status from 200 to 599').default(200),
  headers: fallbackHeadersSchema.default({}),
  body: z.string().max(1_048_576, 'at most 1 MiB').default(''),
  /** The console's version number of this response, so the fleet view can say which one a gateway serves. */
  revision: z.number().int().min(1).optional(),
});

const degradationSchema = z.strictObject({
  mode: z.enum(DEGRADE_MODES).default('reject'),
  fallback_chain: z.array(z.enum(DEGRADE_MODES)).default([]),
  fallback_cluster: z.string().optional(),
  default_response: fallbackResponseSchema.optional(),
  cache: z
    .strictObject({
      ttl: positiveDuration.default(60_000),
      max_staleness: duration.default(300_000),
      max_entry_bytes: z.number().int().min(1).default(262_144),
      max_entries: z.number().int().min(1).default(1_000),
      key: z
        .strictObject({ query: z.boolean().default(true), headers: z.array(z.string().transform(s => s.toLowerCase())).default([]) })
        .prefault({}),
    })
    .prefault({}),
  triggers: z
    .strictObject({
      breaker_open: z.boolean().default(true),
      no_healthy_host: z.boolean().default(true),
      /**
       * A failed upstream answer after retries (5xx, timeout, reset) — a failing half-open probe
       * included — is replaced by the route's cache or default response when one can answer, so
       * a route with a fallback never hands the client a failure it could have replaced.
       */
      upstream_failure: z.boolean().default(true),
      rules: z.array(ruleSchema).default([]),
    })
    .prefault({}),
  trigger_mode: z.enum(['enforce', 'shadow']).default('enforce'),
  retry_after: positiveDuration.default(30_000),
});

const routeSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, "_", "." and "-" only'),
  match: z
    .strictObject({
      prefix: z.string().startsWith('/').optional(),
      path: z.string().startsWith('/').optional(),
      methods: z.array(z.string().transform(s => s.toUpperCase())).default([]),
      headers: z.array(headerMatcher).default([]),
      /** Envoy's RouteMatch.case_sensitive: false matches `prefix`/`path` ignoring ASCII case (`/API/x` takes the `/api` route and its policies). */
      case_sensitive: z.boolean().default(true),
    })
    .refine(m => (m.prefix === undefined) !== (m.path === undefined), 'set exactly one of prefix or path'),
  cluster: z.string(),
  priority: z.enum(PRIORITIES).default('normal'),
  timeout: duration.default(15_000),
  prefix_rewrite: z.string().optional(),
  host_rewrite: z.string().optional(),
  max_request_body_bytes: z.number().int().min(0).default(1_048_576),
  /**
   * true (default): the body is buffered (up to max_request_body_bytes) so a retry can replay it.
   * false: it streams to the upstream as it arrives (memory per request ~16 KiB, the upstream
   * starts at once) and such a request is never retried or hedged.
   */
  buffer_request_body: z.boolean().default(true),
  retry_policy: retryPolicySchema.prefault({}),
  hedge_policy: z.strictObject({ hedge_on_per_try_timeout: z.boolean().default(false) }).prefault({}),
  /**
   * Envoy's name: the protocol upgrades (`Upgrade:` header, e.g. `websocket`) this route tunnels to
   * a host of its cluster. Without an entry an upgrade is refused with 403 (flag UPG).
   */
  upgrade_configs: z
    .array(z.strictObject({ upgrade_type: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\/[A-Za-z0-9!#$%&'*+.^_`|~-]+)?$/, 'a protocol token such as "websocket"').transform(s => s.toLowerCase()), enabled: z.boolean().default(true) }))
    .max(16)
    .default([]),
  /**
   * Envoy's RouteAction.idle_timeout (default: its stream_idle_timeout, 5 min): an upgraded
   * connection with no bytes either way for this long is closed, so idle tunnels cannot hold the
   * cluster's connections forever. 0 disables it. (Requests are bounded by `timeout` instead.)
   */
  idle_timeout: duration.default(300_000),
  circuit_breaker: breakerSchema.optional(),
  rate_limit: rateLimitSchema.optional(),
  fault: faultSchema.optional(),
  /**
   * Without a `degradation` block a route behaves as Envoy does (`503 no healthy upstream`,
   * `503 circuit breaker open`): the automatic triggers are off; operator switches still apply.
   * Any block, even `{}`, turns on the triggers' defaults.
   */
  degradation: degradationSchema.optional().transform(d => d ?? degradationSchema.parse({ triggers: { breaker_open: false, no_healthy_host: false, upstream_failure: false } })),
});

/**
 * TLS on a listener (Envoy's DownstreamTlsContext, flattened): PEM files, re-read on reload
 * (SIGHUP / POST /reload) without dropping open connections. `trusted_ca` + `require_client_certificate`
 * is mutual TLS.
 */
export const listenerTlsSchema = z.strictObject({
  certificate_chain: z.strictObject({ filename: z.string().min(1) }),
  private_key: z.strictObject({ filename: z.string().min(1) }),
  /** CA bundle that client certificates must chain to. */
  trusted_ca: z.strictObject({ filename: z.string().min(1) }).optional(),
  require_client_certificate: z.boolean().default(false),
  tls_minimum_protocol_version: z.enum(['TLSv1_2', 'TLSv1_3']).default('TLSv1_2'),
}).refine(t => !t.require_client_certificate || t.trusted_ca !== undefined, { message: 'require_client_certificate needs trusted_ca (the CA client certificates must chain to)', path: ['trusted_ca'] });

export const gatewayConfigSchema = z
  .strictObject({
    listener: z
      .strictObject({
        address: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        max_header_bytes: z.number().int().min(1024).default(16_384),
        /**
         * Envoy's name: how long a client may take to send the request headers, from its first byte
         * (a header trickle holds a connection no longer). Answered 408 and closed. Envoy has no
         * default; ours is 10 s, HAProxy's usual `timeout http-request`.
         */
        request_headers_timeout: positiveDuration.default(10_000),
        /**
         * Envoy's name (HttpConnectionManager.request_timeout): how long a client may take to send
         * the whole request, body included — the bound on a body trickled a byte at a time, i.e. a
         * minimum data rate of (body size ÷ this). Answered 408 and closed. 0 disables it. Envoy has
         * no default; ours is 60 s (nginx's client_body_timeout).
         */
        request_timeout: duration.default(60_000),
        /**
         * Request-target canonicalisation (apps/gateway routing/request-target.ts): `//` runs merged
         * (on by default, unlike Envoy) and what to do with `%2F`/`%5C` (Envoy's
         * path_with_escaped_slashes_action; refused by default).
         */
        merge_slashes: z.boolean().default(true),
        path_with_escaped_slashes_action: z.enum(['REJECT_REQUEST', 'KEEP_UNCHANGED', 'UNESCAPE_AND_FORWARD']).default('REJECT_REQUEST'),
        /** Peers whose x-forwarded-for and x-brownout-deadline-ms are believed: addresses or CIDR ranges, IPv4 or IPv6. */
        trusted_proxies: z.array(addressOrCidr).default([]),
        /**
         * Envoy's names. Every request gets an `x-request-id` (a UUIDv4), forwarded upstream, returned
         * to the client and written to the access log. A valid incoming one (1–128 of `A-Za-z0-9._:-`)
         * is kept when the peer is a trusted proxy, or from anyone with preserve_external_request_id.
         */
        generate_request_id: z.boolean().default(true),
        preserve_external_request_id: z.boolean().default(false),
        /** Serve HTTPS instead of plain HTTP; see listenerTlsSchema. */
        tls: listenerTlsSchema.optional(),
        /**
         * Envoy's name. AUTO: with `tls`, HTTP/2 and HTTP/1.1 by ALPN; without, HTTP/1.1. HTTP1: HTTP/1.1
         * only. HTTP2: HTTP/2 only — over TLS, or without `tls` cleartext h2c with prior knowledge
         * (Node's h2c server cannot also answer HTTP/1.1 on the same port). Needs a restart to change.
         */
        codec_type: z.enum(['AUTO', 'HTTP1', 'HTTP2']).default('AUTO'),
        /** Envoy's name; 100 concurrent streams per connection is Envoy's recommendation for an edge proxy. */
        http2_protocol_options: z
          .strictObject({
            max_concurrent_streams: z.number().int().min(1).max(2_147_483_647).default(100),
            initial_stream_window_size: z.number().int().min(65_535).max(2_147_483_647).default(65_535),
          })
          .prefault({}),
      })
      .prefault({}),
    admin: z
      .strictObject({
        address: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9901),
        /** Bearer token; `env:NAME` reads it from the environment. Redacted by GET /config. */
        token: z.string().min(1).optional(),
        /** Read-only bearer token (GET endpoints, /stats/prometheus): for scrapers and dashboards. `env:NAME` as above. */
        read_token: z.string().min(1).optional(),
        /** The admin listener's own TLS (same shape as listener.tls). */
        tls: listenerTlsSchema.optional(),
      })
      .prefault({}),
    /**
     * Worker processes serving the public listener (`auto`: one per available core). Above 1, a
     * primary process runs the health checks once, shares ejections between workers, serves the
     * admin API and aggregates metrics; it takes no traffic itself. Needs a restart to change.
     */
    workers: z.union([z.number().int().min(1).max(64), z.literal('auto')]).default(1),
    /**
     * OpenTelemetry tracing, off without this block: a SERVER span per routed request and a CLIENT
     * span per upstream attempt (retries and hedges each get one), W3C traceparent to the upstream,
     * exported over OTLP/HTTP. Needs a restart to change.
     */
    tracing: z
      .strictObject({
        service_name: z.string().min(1).max(200).default('brownout-gateway'),
        /** Envoy's name: percent of traces started here (and of untrusted callers' traces) that are sampled. */
        random_sampling: percent.default(100),
        otlp_http: z.strictObject({
          /** The collector's traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. */
          endpoint: z.url({ protocol: /^https?$/, error: 'an http(s) URL such as http://127.0.0.1:4318/v1/traces' }),
          headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name'), z.string()).default({}),
          timeout: positiveDuration.default(10_000),
        }),
      })
      .optional(),
    clusters: z.array(clusterSchema).min(1),
    routes: z.array(routeSchema).min(1),
  })
  .superRefine((cfg, ctx) => {
    const l = cfg.listener;
    const a = cfg.admin;
    const wildcard = (addr: string) => addr === '0.0.0.0' || addr === '::' || addr === '';
    if (l.port !== 0 && l.port === a.port && (l.address === a.address || wildcard(l.address) || wildcard(a.address))) {
      ctx.addIssue({ code: 'custom', path: ['admin', 'port'], message: `must differ from listener.port (${l.port}): the admin API never shares the public listener` });
    }
    const clusters = new Set<string>();
    cfg.clusters.forEach((c, i) => {
      if (clusters.has(c.name)) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `duplicate cluster name "${c.name}"` });
      clusters.add(c.name);
      const hosts = new Set<string>();
      c.hosts.forEach((h, j) => {
        const id = `${h.address}:${h.port}`;
        if (hosts.has(id)) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'hosts', j], message: `duplicate host ${id}` });
        hosts.add(id);
      });
    });
    const routes = new Set<string>();
    cfg.routes.forEach((r, i) => {
      const at = (...p: (string | number)[]) => ['routes', i, ...p];
      if (routes.has(r.name)) ctx.addIssue({ code: 'custom', path: at('name'), message: `duplicate route name "${r.name}"` });
      routes.add(r.name);
      if (!clusters.has(r.cluster)) ctx.addIssue({ code: 'custom', path: at('cluster'), message: `unknown cluster "${r.cluster}"` });
      const rp = r.retry_policy;
      if (r.timeout > 0 && rp.per_try_timeout >= r.timeout) {
        ctx.addIssue({ code: 'custom', path: at('retry_policy', 'per_try_timeout'), message: `must be shorter than the route timeout (${r.timeout}ms)` });
      }
      if (r.hedge_policy.hedge_on_per_try_timeout && (rp.per_try_timeout === 0 || rp.retry_on.length === 0 || rp.num_retries === 0)) {
        ctx.addIssue({ code: 'custom', path: at('hedge_policy'), message: 'hedging needs retry_policy with retry_on, num_retries > 0 and per_try_timeout' });
      }
      const d = r.degradation;
      const modes = [d.mode, ...d.fallback_chain];
      if (modes.includes('fallback_service')) {
        if (d.fallback_cluster === undefined) {
          ctx.addIssue({ code: 'custom', path: at('degradation', 'fallback_cluster'), message: 'required when a mode is fallback_service' });
        } else if (!clusters.has(d.fallback_cluster)) {
          ctx.addIssue({ code: 'custom', path: at('degradation', 'fallback_cluster'), message: `unknown cluster "${d.fallback_cluster}"` });
        } else if (d.fallback_cluster === r.cluster) {
          ctx.addIssue({ code: 'custom', path: at('degradation', 'fallback_cluster'), message: 'must differ from the route cluster' });
        }
      }
      if (d.mode === 'default' && d.default_response === undefined) {
        ctx.addIssue({ code: 'custom', path: at('degradation', 'default_response'), message: 'required when mode is default (or set it from the console)' });
      }
    });
  });

export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type ClusterConfig = GatewayConfig['clusters'][number];
export type RouteConfig = GatewayConfig['routes'][number];
export type FallbackResponse = z.output<typeof fallbackResponseSchema>;

/**
 * The furthest ahead a switch may expire. A far-future expiry (9999-12-31) is a permanent switch
 * in disguise that a later operator reads as temporary; a switch meant to stay omits `expires_at`.
 */
export const MAX_SWITCH_EXPIRY_MS = 30 * 24 * 3_600_000;

/**
 * A ticket link rendered in the console: http(s) only, so a `javascript:` or `data:` URL can never
 * become a clickable script.
 */
export const ticketUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(500);

/** One route override in a switch document. */
export const routeSwitchSchema = z.strictObject({
  mode: z.enum([...DEGRADE_MODES, 'normal']),
  reason: z.string().min(1, 'say why').max(500),
  actor: z.string().min(1, 'say who').max(200),
  ticket: ticketUrl.optional(),
  expires_at: z.iso.datetime({ offset: true }).optional(),
  shadow: z.boolean().default(false),
});

/**
 * The switch document: what the console writes and every gateway reads. `version` only grows; a
 * gateway ignores any document older than the one it holds.
 */
/**
 * The highest switch version accepted: far beyond any real sequence of writes (one per write), far
 * below 2^53 where `version + 1` stops being a different number and every later write would look
 * stale. Writers also refuse jumps of more than MAX_SWITCH_VERSION_STEP (see the gateway's writer).
 */
export const MAX_SWITCH_VERSION = 2 ** 48;

export const switchDocumentSchema = z.strictObject({
  version: z.number().int().min(0).max(MAX_SWITCH_VERSION, `at most 2^48 (${MAX_SWITCH_VERSION}): versions grow by one per write`),
  updated_at: z.iso.datetime({ offset: true }).optional(),
  updated_by: z.string().optional(),
  global_level: z.number().int().min(0).max(MAX_LEVEL).default(0),
  global_shadow: z.boolean().default(false),
  routes: z.record(z.string().min(1), routeSwitchSchema).default({}),
  fallbacks: z.record(z.string().min(1), fallbackResponseSchema).default({}),
});

export type SwitchDocument = z.output<typeof switchDocumentSchema>;
export type SwitchDocumentInput = z.input<typeof switchDocumentSchema>;

/**
 * A change to the switch document that keeps everything it does not name (`PATCH /switches`):
 * the global level and shadow, and per route an override or `null` to remove it (the same for
 * fallbacks). A whole-document `PUT` replaces everything — `{"global_level": 1}` there drops every
 * route override, which is what this exists to avoid.
 */
export const switchPatchSchema = z.strictObject({
  global_level: z.number().int().min(0).max(MAX_LEVEL).optional(),
  global_shadow: z.boolean().optional(),
  routes: z.record(z.string().min(1), routeSwitchSchema.nullable()).optional(),
  fallbacks: z.record(z.string().min(1), fallbackResponseSchema.nullable()).optional(),
  updated_by: z.string().max(200).optional(),
});
export type SwitchPatch = z.output<typeof switchPatchSchema>;

/**
 * The route overrides still in force at `now`: an override whose `expires_at` has passed is already
 * not enforced by any gateway, so a write built on the current document drops it rather than
 * re-sending it — otherwise the writer's "already expired" check would refuse every later write
 * (an operator's next flip in an incident) until someone removed that entry by hand.
 */
export function routesInForce(routes: SwitchDocument['routes'], now: Date): SwitchDocument['routes'] {
  const t = now.getTime();
  let out: SwitchDocument['routes'] | undefined;
  for (const [name, s] of Object.entries(routes)) {
    if (s.expires_at !== undefined && Date.parse(s.expires_at) <= t) {
      out ??= { ...routes };
      Reflect.deleteProperty(out, name);
    }
  }
  return out ?? routes;
}

/**
 * The document with a patch applied, one version up (so a concurrent writer's change is refused as
 * stale, not overwritten). Overrides that have expired are dropped (see routesInForce).
 */
export function applySwitchPatch(doc: SwitchDocument | undefined, patch: SwitchPatch, now = new Date()): SwitchDocument {
  const stored: SwitchDocument = doc ?? { version: 0, global_level: 0, global_shadow: false, routes: {}, fallbacks: {} };
  const base: SwitchDocument = { ...stored, routes: routesInForce(stored.routes, now) };
  const merge = <T>(cur: Record<string, T>, change: Record<string, T | null> | undefined): Record<string, T> => {
    if (!change) return cur;
    const out = { ...cur };
    for (const [k, v] of Object.entries(change)) {
      if (v === null) Reflect.deleteProperty(out, k);
      else out[k] = v;
    }
    return out;
  };
  return {
    ...base,
    version: base.version + 1,
    updated_at: now.toISOString(),
    ...(patch.updated_by !== undefined && { updated_by: patch.updated_by }),
    global_level: patch.global_level ?? base.global_level,
    global_shadow: patch.global_shadow ?? base.global_shadow,
    routes: merge(base.routes, patch.routes),
    fallbacks: merge(base.fallbacks, patch.fallbacks),
  };
}
