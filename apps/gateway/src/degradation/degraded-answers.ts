import { createHash } from 'node:crypto';
import { sendGrpcAnswer, addGrpcOkTrailers } from '../grpc/grpc-wire.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  DegradeReason,
  decideDegradation,
  degradedHeader,
  emptyDecision,
  renderFallbackBody,
  resolveChain,
  type DegradeDecision,
  type DegradeMode,
  type ClusterRuntime,
  type RouteRuntime,
  type TriggerSignals,
} from '@brownout/core';
import type { GatewayConfig } from '@brownout/core/config';
import type { RequestContext } from '../pipeline/request-context.ts';
import { sendLocalReply, speaksHttp1, type LocalReply } from '../pipeline/local-reply.ts';
import { REPLAYED_HEADERS, ResponseCache, type CachedResponse } from '../cache/response-cache.ts';
import type { GatewayServices } from '../pipeline/gateway-services.ts';
import type { FailureAnswers } from '../pipeline/failure-answers.ts';

/**
 * Deciding and serving degraded answers: operator switches, the global level and automatic
 * triggers before the upstream; stale-if-error and the breaker / no-healthy-host triggers after
 * it; the modes (cache, default, fallback service, reject) and the route's fallback chain. A new
 * degradation mode is added here (and to core's DEGRADE_MODES).
 */
export class DegradedAnswers implements FailureAnswers {
  private readonly services: GatewayServices;
  /** Reused degradation verdict and signals: the decision is synchronous, so one serves every request. */
  private readonly decision: DegradeDecision = emptyDecision();
  private readonly signals: TriggerSignals = { breakerOpen: false, noHealthyHost: false, ruleActive: false };

  constructor(services: GatewayServices) {
    this.services = services;
  }

  /** Names the cache entry of this request and arranges for a good answer to be kept. */
  prepareCache(req: FastifyRequest, ctx: RequestContext, path: string, query: string, requestKey = ''): void {
    const c = ctx.route.config.degradation.cache;
    let vary = requestKey;
    for (const h of c.key.headers) {
      const v = req.headers[h];
      vary += `${h}=${Array.isArray(v) ? v.join(',') : (v ?? '')};`;
    }
    ctx.cacheKey = ResponseCache.key(ctx.route.name, req.method, path, c.key.query ? query : '', vary);
    ctx.cacheStore = (status, raw, body) => {
      const headers: Record<string, string> = {};
      for (let i = 0; i < raw.length; i += 2) {
        const k = raw[i]!.toString('latin1').toLowerCase();
        if (REPLAYED_HEADERS.includes(k)) headers[k] = raw[i + 1]!.toString('latin1');
      }
      this.services.cache.put(ctx.route.name, ctx.cacheKey, { status, headers, body, storedAt: Date.now() }, c.max_staleness, c.ttl, c.max_entries);
    };
  }

  /**
   * Names the cache entry of a gRPC call by its method and request message (a digest of the
   * buffered body, its framing and compression flag included), and arranges for a good answer to be
   * kept: one that ends with grpc-status OK (upstream-request.ts keeps it only then).
   */
  prepareGrpcCache(req: FastifyRequest, ctx: RequestContext, body: Buffer): void {
    const q = req.url.indexOf('?');
    this.prepareCache(req, ctx, q < 0 ? req.url : req.url.slice(0, q), q < 0 ? '' : req.url.slice(q), `grpc-request=${createHash('sha256').update(body).digest('base64url')};`);
  }

  /** Answers from the cache, saying how old the answer is. */
  private serveCached(reply: FastifyReply, e: CachedResponse, d: DegradeDecision, ctx: RequestContext): void {
    ctx.degradedMode = 'cache';
    ctx.degradeReason = d.reason;
    ctx.addFlag('DG');
    this.services.metrics.degradedAnswer(ctx.route.name, 'cache', d.reason, false);
    reply
      .code(e.status)
      .headers(e.headers)
      .header('age', String(Math.max(0, Math.floor((Date.now() - e.storedAt) / 1000))))
      .header('x-brownout-degraded', degradedHeader(d, 'cache'));
    if (this.services.draining && speaksHttp1(reply.request)) reply.header('connection', 'close');
    // A kept gRPC answer ended OK (only such are kept); its custom trailers are not kept.
    if (ctx.grpc !== undefined) ctx.grpcStatus = addGrpcOkTrailers(reply);
    void reply.send(e.body);
  }

  /**
   * Applies switches, level shedding and automatic triggers before the upstream. Serves the
   * degraded answer itself, or re-targets the request to the fallback cluster; in shadow mode only
   * counts. A route degraded by a rule still sends `probe_percent` of requests upstream so the rule
   * can see recovery.
   */
  degradeIfSwitched(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, path: string): Promise<void> | undefined {
    const route = ctx.route;
    const d = this.decide(route);
    if (d.shadow) {
      this.services.metrics.degradedAnswer(route.name, d.mode, d.reason, true);
      return undefined;
    }
    if (!d.degraded) return undefined;
    if (d.reason === DegradeReason.Rule && route.rules.some(r => r.active && r.shouldProbe())) return undefined;
    const cc = route.config.degradation.cache;
    if (ctx.cacheKey !== '' && this.services.cache.peek(route.name, ctx.cacheKey, cc.max_staleness) === undefined) {
      // Fill the in-process layer from the shared one, then decide with the same (copied) verdict.
      const verdict = { ...d };
      return this.services.cache.lookup(route.name, ctx.cacheKey, cc.max_staleness, cc.max_entries).then(() => {
        this.serveDegraded(req, reply, ctx, verdict, path);
      });
    }
    this.serveDegraded(req, reply, ctx, d, path);
    return undefined;
  }

  /**
   * Where an upgrade (a tunnel) on `route` may go now: the route's cluster, the fallback service when
   * the route is degraded to it, or the refusal to send — a tunnel cannot be answered from the cache
   * or a default response, so every other degraded mode refuses it (503, `x-brownout-degraded`).
   */
  tunnelTarget(route: RouteRuntime): ClusterRuntime | LocalReply {
    const d = this.decide(route);
    if (d.shadow) this.services.metrics.degradedAnswer(route.name, d.mode, d.reason, true);
    if (!d.degraded || d.shadow) return route.cluster;
    const mode = resolveChain(d.mode, route.degradation.fallback_chain, m => (m === 'fallback_service' ? fallbackServiceUp(route) : m === 'reject'));
    this.services.metrics.degradedAnswer(route.name, mode ?? 'none', d.reason, false);
    if (mode === 'fallback_service') return route.fallbackCluster!;
    return { status: 503, body: `route degraded (${d.mode}): upgrades are not served`, flag: 'DG', headers: { 'x-brownout-degraded': degradedHeader(d, mode) } };
  }

  /** The route's degradation verdict now (switches, level, triggers); a scratch object, read it at once. */
  decide(route: RouteRuntime): DegradeDecision {
    const sig = this.signals;
    const b = route.breaker?.current;
    sig.breakerOpen = b === 'open' || b === 'forced_open';
    // Only a cluster with panic disabled can have nothing to pick from (panic sends to every host).
    const hs = route.cluster.hostSet;
    sig.noHealthyHost = route.cluster.config.healthy_panic_threshold === 0 && hs.healthy.length + hs.degraded.length === 0;
    sig.ruleActive = route.rules.length > 0 && route.ruleActive();
    return decideDegradation(route.name, route.degradation, this.services.switches.state, sig, Date.now(), this.decision);
  }

  /**
   * Whether the route would replace a failed upstream answer now (trigger `upstream_failure`): the
   * request went to the route's own cluster and its chain has a cache entry (in this process) or a
   * default response. Synchronous, for the dispatcher deciding whether to drop a 5xx answer.
   */
  canAnswerFailure(ctx: RequestContext): boolean {
    return this.replacesFailures(ctx) && this.answeringMode(ctx) !== undefined;
  }

  private replacesFailures(ctx: RequestContext): boolean {
    const dg = ctx.route.config.degradation;
    return dg.triggers.upstream_failure && dg.trigger_mode === 'enforce' && ctx.cluster === ctx.route.cluster;
  }

  /** The first of the route's modes (its mode, then its chain) that can answer a failure now: the cache or the default response. */
  private answeringMode(ctx: RequestContext): 'cache' | 'default' | undefined {
    const route = ctx.route;
    const cc = route.config.degradation.cache;
    const m = resolveChain(route.degradation.degraded_mode, route.degradation.fallback_chain, mode => {
      if (mode === 'default') return (this.services.switches.document?.fallbacks[route.name] ?? route.config.degradation.default_response) !== undefined;
      if (mode === 'cache') return ctx.cacheKey !== '' && this.services.cache.peek(route.name, ctx.cacheKey, cc.max_staleness) !== undefined;
      return false; // reject is no better than the failure; the fallback service was not asked
    });
    return m === 'cache' || m === 'default' ? m : undefined;
  }

  /**
   * The upstream failed this request (5xx answer set aside, reset, timeout, connect failure): the
   * route's chain answers when it can (the cache — shared layer included — or the default
   * response, marked `x-brownout-degraded` with reason upstream-error); with the trigger off, the
   * cache still answers stale-if-error; otherwise `otherwise`.
   */
  answerFailure(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, otherwise: LocalReply): void {
    const chain = this.replacesFailures(ctx);
    const answer = (): void => {
      if (reply.sent) return;
      // With the trigger, the chain's first mode that can answer; without it, the cache (stale-if-error).
      const mode = chain ? this.answeringMode(ctx) : ctx.cacheKey !== '' ? 'cache' : undefined;
      const cached = mode === 'cache' ? this.services.cache.peek(ctx.route.name, ctx.cacheKey, ctx.route.config.degradation.cache.max_staleness) : undefined;
      if (ctx.cacheKey !== '' && mode !== 'default') this.services.cache.count(ctx.route.name, cached !== undefined);
      if (mode === undefined || (mode === 'cache' && !cached)) {
        sendLocalReply(this.services, req, reply, otherwise);
        return;
      }
      const d = emptyDecision();
      d.degraded = true;
      d.reason = DegradeReason.UpstreamError;
      d.level = this.services.switches.state.global_level;
      d.mode = mode;
      if (cached) {
        this.serveCached(reply, cached, d, ctx);
      } else {
        const q = req.url.indexOf('?');
        this.serveDegraded(req, reply, ctx, d, q < 0 ? req.url : req.url.slice(0, q), true);
      }
    };
    if (ctx.cacheKey === '') {
      answer();
      return;
    }
    // Fill the in-process layer from the shared one first: another gateway may hold the answer.
    const cc = ctx.route.config.degradation.cache;
    void this.services.cache.lookup(ctx.route.name, ctx.cacheKey, cc.max_staleness, cc.max_entries).then(answer, answer);
  }

  /** An upstream-side trigger fired (breaker open, no healthy host): degrade if the route wants that. */
  degradeOnFailure(req: FastifyRequest, reply: FastifyReply, trigger: 'breaker' | 'no-healthy-host'): boolean {
    const ctx = req.brownout;
    if (!ctx || ctx.cluster !== ctx.route.cluster) return false;
    const route = ctx.route;
    const sig = this.signals;
    sig.breakerOpen = trigger === 'breaker';
    sig.noHealthyHost = trigger === 'no-healthy-host';
    sig.ruleActive = false;
    const d = decideDegradation(route.name, route.degradation, this.services.switches.state, sig, Date.now(), this.decision);
    if (d.shadow) {
      this.services.metrics.degradedAnswer(route.name, d.mode, d.reason, true);
      return false;
    }
    if (!d.degraded) return false;
    const q = req.url.indexOf('?');
    const served = this.serveDegraded(req, reply, ctx, d, q < 0 ? req.url : req.url.slice(0, q), true);
    return served;
  }

  /**
   * Walks the route's chain to the first mode that can answer. Returns true once a reply is sent;
   * false when the request should continue to the (fallback) upstream.
   */
  private serveDegraded(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, d: DegradeDecision, path: string, afterFailure = false): boolean {
    const route = ctx.route;
    const fallback = this.services.switches.document?.fallbacks[route.name] ?? route.config.degradation.default_response;
    const cached = ctx.cacheKey === '' ? undefined : this.services.cache.peek(route.name, ctx.cacheKey, route.config.degradation.cache.max_staleness);
    const canServe = (m: DegradeMode): boolean => {
      // A gRPC caller cannot read an HTTP body: only a fallback with a gRPC answer serves it.
      if (m === 'default') return fallback !== undefined && (ctx.grpc === undefined || fallback.grpc !== undefined);
      if (m === 'cache') return cached !== undefined;
      if (m === 'fallback_service') return !afterFailure && fallbackServiceUp(route);
      return true; // reject can always answer
    };
    const mode = resolveChain(d.mode, route.degradation.fallback_chain, canServe);
    if (ctx.cacheKey !== '' && (d.mode === 'cache' || route.degradation.fallback_chain.includes('cache'))) this.services.cache.count(route.name, cached !== undefined);
    if (mode === 'cache') {
      this.serveCached(reply, cached!, d, ctx);
      return true;
    }
    ctx.degradedMode = mode ?? 'none';
    ctx.degradeReason = d.reason;
    ctx.addFlag('DG');
    this.services.metrics.degradedAnswer(route.name, mode ?? 'none', d.reason, false);
    reply.header('x-brownout-degraded', degradedHeader(d, mode));
    if (mode === 'fallback_service') {
      ctx.cluster = route.fallbackCluster!;
      return false;
    }
    if (mode === 'default' && ctx.grpc !== undefined) {
      const g = fallback!.grpc!;
      ctx.grpcStatus = sendGrpcAnswer(reply, g.status, g.message, g.response_base64);
      return true;
    }
    if (mode === 'default') {
      const f = fallback!;
      reply.code(f.status).headers(f.headers);
      if (this.services.draining && speaksHttp1(req)) reply.header('connection', 'close');
      const body = renderFallbackBody(f.body, path, req.method, route.name, contentTypeOf(f.headers));
      // With a content type given, a Buffer, so it goes out exactly as the product team wrote it
      // (Fastify adds "; charset=utf-8" to string payloads): the console's preview is what the
      // client gets. Without one, the string gets Fastify's text/plain; charset=utf-8.
      void reply.send(reply.hasHeader('content-type') ? Buffer.from(body) : body);
      return true;
    }
    if (mode === 'reject') {
      const retryAfter = Math.ceil(Math.max(route.breaker?.retryAfterMs() ?? 0, route.config.degradation.retry_after) / 1000);
      reply.header('retry-after', String(retryAfter));
      sendLocalReply(this.services, req, reply, { status: 503, body: `${route.name} is degraded: try again later`, flag: 'DG' });
      return true;
    }
    // A streamed gRPC call is never kept: say why the cache could not answer it.
    const why = ctx.grpc !== undefined && ctx.cacheKey === '' && usesCache(route.config) ? ' (the cache keeps calls with a buffered request only: buffer_request_body)' : '';
    sendLocalReply(this.services, req, reply, { status: 503, body: `${route.name} is degraded and no fallback could answer${why}`, flag: 'DG' });
    return true;
  }
}

/** Whether a route can answer from the cache (its mode or its fallback chain). */
export function usesCache(route: GatewayConfig['routes'][number]): boolean {
  const d = route.degradation;
  return d.mode === 'cache' || d.fallback_chain.includes('cache');
}

/** The route's fallback service has a host to send to. */
function fallbackServiceUp(route: RouteRuntime): boolean {
  const fc = route.fallbackCluster;
  return fc !== undefined && fc.hostSet.healthy.length + fc.hostSet.degraded.length > 0;
}

/** The fallback's content type (its headers as written: any case), which decides how `{{path}}` is escaped. */
function contentTypeOf(headers: Readonly<Record<string, string>>): string | undefined {
  for (const k in headers) if (k.toLowerCase() === 'content-type') return headers[k];
  return undefined;
}
