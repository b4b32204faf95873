import { z } from 'zod';
import { percent, positiveDuration } from './schema-primitives.ts';
import { clusterSchema } from './cluster-schema.ts';
import { routeSchema, type fallbackResponseSchema, type grpcAnswerSchema } from './route-schema.ts';
import { listenerSchema, adminSchema } from './listener-schema.ts';

/**
 * The gateway config, with Envoy's snake_case names and defaults. Durations are strings ("250ms",
 * "10s") or integer milliseconds, and parse to milliseconds. Every default below is Envoy's unless
 * its comment says otherwise.
 */

export { MAX_DURATION_MS } from './schema-primitives.ts';
export * from './cluster-schema.ts';
export * from './route-schema.ts';
export * from './listener-schema.ts';
export * from './switch-schema.ts';

export const gatewayConfigSchema = z
  .strictObject({
    listener: listenerSchema,
    admin: adminSchema,
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
export type GrpcAnswer = z.output<typeof grpcAnswerSchema>;
