import { z } from 'zod';
import { RETRY_ON_NAMES, type RetryOnName } from '../retry/retry-on.ts';
import { DEGRADE_MODES } from '../degradation/degrade-mode.ts';
import { PRIORITIES } from '../degradation/priority.ts';
import { duration, positiveDuration, percent, count, status } from './schema-primitives.ts';

// A route: its match, retry and hedge policies, breaker, rate limit, faults, and what it answers degraded.

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

/** Text with no control character but tab (code units: a surrogate is never one). */
function noControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

/**
 * What a gRPC caller gets instead of an HTTP fallback (its client cannot read an HTTP body): a
 * status and message, or with status 0 (OK) one serialized response message, base64, sent as the
 * call's answer. The switch document's `fallbacks.<route>.grpc` and the console's editor.
 */
export const grpcAnswerSchema = z
  .strictObject({
    status: z.number().int().min(0, 'a gRPC status from 0 to 16').max(16, 'a gRPC status from 0 to 16').default(0),
    // Any Unicode text (it goes percent-encoded), no control characters.
    message: z
      .string()
      .max(1_024, 'at most 1 KiB')
      .refine(noControlCharacters, 'no CR, LF or control characters')
      .default(''),
    response_base64: z
      .string()
      .max(87_384, 'at most 64 KiB once decoded')
      .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'standard base64 (A–Z, a–z, 0–9, +, /, = padding)')
      .optional(),
  })
  .refine(g => g.response_base64 === undefined || g.status === 0, { message: 'response_base64 is the answer of a successful call: only with status 0', path: ['response_base64'] });

export const fallbackResponseSchema = z.strictObject({
  status: z.number().int().min(200, 'a status from 200 to 599').max(599, 'a status from 200 to 599').default(200),
  headers: fallbackHeadersSchema.default({}),
  body: z.string().max(1_048_576, 'at most 1 MiB').default(''),
  /**
   * What a gRPC caller gets instead (see grpcAnswerSchema). Without it, `default` cannot answer a
   * gRPC call and the chain goes on (reject: UNAVAILABLE).
   */
  grpc: grpcAnswerSchema.optional(),
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

export const routeSchema = z.strictObject({
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
  /**
   * Envoy's RouteAction.MaxStreamDuration: the route `timeout` bounds the wait for an answer's
   * headers, not a stream's life; `max_stream_duration` bounds the whole exchange (a stream still
   * open then is reset, the upstream's side cancelled). `grpc_timeout_header_max`: a gRPC client's
   * `grpc-timeout` becomes the stream's bound too, capped at this value (0: as the client sent it).
   */
  max_stream_duration: z
    .strictObject({
      max_stream_duration: positiveDuration.optional(),
      grpc_timeout_header_max: duration.optional(),
    })
    .optional(),
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
