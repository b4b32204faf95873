import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { isGrpcRequest } from '../grpc/grpc-wire.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  DEADLINE_HEADER,
  Deadline,
  emptyFaultDecision,
  emptyRateLimitResult,
  parseDeadlineHeader,
  parseGrpcTimeout,
  timerDelay,
  type FailOpenLimiter,
  type RateLimitResult,
} from '@brownout/core';
import { RequestContext } from './request-context.ts';
import { setRateLimitHeaders } from '../rate-limit/rate-limit-headers.ts';
import { LOCAL_REPLIES, sendLocalReply } from './local-reply.ts';
import { admitRoute, emptyAdmitted, localRateLimit } from './admit.ts';
import { rateLimitKey } from '../routing/client-key.ts';
import { REFUSED, type RefusedRequest } from '../routing/request-target.ts';
import { usesCache, type DegradedAnswers } from '../degradation/degraded-answers.ts';
import type { GatewayServices } from './gateway-services.ts';
import { bufferBody, contentLength } from '../proxy/request-body.ts';
import { limitStreamDuration } from '../proxy/stream-duration.ts';
import { UpstreamFailure } from '../proxy/upstream-failure.ts';

const NO_HEADERS: FastifyRequest['headers'] = Object.freeze({});

/**
 * A request's way in, before the upstream: routing, the request context (target, trusted
 * deadline), the body limit, the local and shared rate limits, fault injection, then the
 * degradation decision. One plain call chain from the proxy's single preHandler: no hook per
 * concern, and scratch objects reused because each step is synchronous.
 */
export class RequestIntake {
  private readonly services: GatewayServices;
  private readonly degraded: DegradedAnswers;
  /** Reused rate-limit result: admission is synchronous, so one scratch object serves every request. */
  private readonly rlScratch = emptyRateLimitResult();
  /** Reused: routing is synchronous. */
  private readonly admitted = emptyAdmitted();
  /** Reused fault verdict and header reader: the fault roll is synchronous too. */
  private readonly faultScratch = emptyFaultDecision();
  private faultHeaders: FastifyRequest['headers'] = NO_HEADERS;
  private readonly faultHeader = (name: string): string | undefined => {
    const v = this.faultHeaders[name];
    return Array.isArray(v) ? v[0] : v;
  };

  constructor(services: GatewayServices, degraded: DegradedAnswers) {
    this.services = services;
    this.degraded = degraded;
  }

  /** Routing, body limit and the local rate limit. Replies itself and returns undefined when the request stops here. */
  route(req: FastifyRequest, reply: FastifyReply): RequestContext | undefined {
    const url = req.url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    // A refused target was rewritten to "/" (rewriteUrl cannot answer); only then look for the mark.
    if (url === '/') {
      const refused = (req.raw as RefusedRequest)[REFUSED];
      if (refused !== undefined) {
        sendLocalReply(this.services, req, reply, { status: 400, body: `bad request: ${refused}`, flag: 'DPE', headers: { connection: 'close' } });
        return undefined;
      }
    }
    const admitted = this.admitted;
    const noRoute = admitRoute(this.services, req.method, path, req.headers, req.socket.remoteAddress, admitted);
    if (noRoute) {
      sendLocalReply(this.services, req, reply, noRoute);
      return undefined;
    }
    const route = admitted.route!;
    const now = performance.now();
    // A caller's deadline is believed only from a trusted proxy: from anyone else it would let one
    // client cut every request short and have the timeouts charged to hosts and the breaker.
    const trustedPeer = admitted.trustedPeer;
    const incoming = trustedPeer ? req.headers[DEADLINE_HEADER] : undefined;
    let callerBudget = typeof incoming === 'string' ? parseDeadlineHeader(incoming) : undefined;
    // A gRPC client's own deadline (grpc-timeout) is believed from anyone: it only shortens its own
    // call, and a timeout it causes is the caller's, never charged to a host (attempt-triage.ts).
    const grpc = isGrpcRequest(req.raw.httpVersionMajor, req.headers);
    let grpcBudget = grpc ? parseGrpcTimeout(req.headers['grpc-timeout'] as string | undefined) : undefined;
    let routeMs = route.config.timeout;
    const msd = route.config.max_stream_duration;
    if (msd !== undefined) {
      // Envoy's grpc_timeout_header_max: the client's grpc-timeout, capped (0: as sent), bounds the whole stream.
      if (grpcBudget !== undefined && msd.grpc_timeout_header_max) grpcBudget = Math.min(grpcBudget, msd.grpc_timeout_header_max);
      const streamMs = Math.min(msd.max_stream_duration ?? Infinity, msd.grpc_timeout_header_max !== undefined && grpcBudget !== undefined ? grpcBudget : Infinity);
      if (Number.isFinite(streamMs)) {
        // It bounds the wait for the answer's headers too (the route's own: charged as a route timeout).
        routeMs = routeMs > 0 ? Math.min(routeMs, streamMs) : streamMs;
        limitStreamDuration(reply, streamMs);
      }
    }
    if (grpcBudget !== undefined) callerBudget = callerBudget === undefined ? grpcBudget : Math.min(callerBudget, grpcBudget);
    const ctx = new RequestContext(route, now, new Deadline(now, routeMs, callerBudget), reply);
    ctx.trustedPeer = trustedPeer;
    ctx.secure = this.services.secure;
    req.brownout = ctx;
    if (grpc) ctx.grpc = reply.raw as unknown as Http2ServerResponse;
    if (grpcBudget !== undefined) ctx.grpcDeadlineAt = now + grpcBudget;
    // Set on the reply now, so every answer carries it: proxied, local or degraded.
    ctx.requestId = admitted.requestId;
    if (ctx.requestId !== '') reply.header('x-request-id', ctx.requestId);
    const tracing = this.services.tracing;
    if (tracing) ctx.trace = tracing.startRequest(req.method, path, req.headers, route.name, trustedPeer);
    // The exact target the upstream receives: canonical, as routed (see rewriteUrl).
    ctx.target = url;
    const cl = req.headers['content-length'];
    if (cl !== undefined && Number(cl) > route.config.max_request_body_bytes) {
      sendLocalReply(this.services, req, reply, LOCAL_REPLIES.payloadTooLarge);
      return undefined;
    }
    // A body Fastify left unread — any on GET, HEAD, TRACE and QUERY; on other methods one it did
    // not see declared — is read from the raw request: a proxy forwards what it was sent.
    if (req.body === undefined && carriesBody(req, cl)) ctx.rawBody = req.raw;
    const rl = localRateLimit(this.services, route, req.headers, req.socket.remoteAddress, this.rlScratch);
    if (rl && !this.applyRateLimit(req, reply, ctx, rl, 'local_rate_limited')) return undefined;
    if (usesCache(route.config)) {
      if (req.method === 'GET' || req.method === 'HEAD') this.degraded.prepareCache(req, ctx, path, q < 0 ? '' : url.slice(q));
      // A gRPC call is keyed by its request message too: only a buffered one (a unary or
      // server-streaming call) can be; a streamed request is never cached.
      else if (grpc && req.method === 'POST' && route.config.buffer_request_body) ctx.cacheByBody = true;
    }
    return ctx;
  }

  /** Faults and degradation, then on to the upstream (after an injected delay, if one fired). */
  continueAdmission(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, done: (err?: Error) => void): void {
    const route = ctx.route;
    if (route.fault) {
      this.faultHeaders = req.headers;
      const scratch = route.fault.decide(this.faultHeader, this.faultScratch);
      this.faultHeaders = NO_HEADERS; // not kept alive past this request
      // Most requests draw no fault: only one that fired keeps its own copy (for the delay callback and the release).
      if (scratch.delayMs === 0 && scratch.abortStatus === 0 && !scratch.active) {
        this.finishAdmission(req, reply, done);
        return;
      }
      const d = (ctx.fault = { ...scratch });
      if (d.delayMs > 0) {
        ctx.addFlag('DI');
        setTimeout(this.afterDelay, timerDelay(d.delayMs), req, reply, done);
        return;
      }
      if (d.abortStatus > 0) {
        this.abortFault(req, reply, d.abortStatus);
        return;
      }
    }
    this.finishAdmission(req, reply, done);
  }

  private finishAdmission(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    const ctx = req.brownout!;
    if (ctx.cacheByBody) {
      ctx.cacheByBody = false;
      this.keyByBody(req, reply, ctx, done);
      return;
    }
    const q = req.url.indexOf('?');
    const r = this.degraded.degradeIfSwitched(req, reply, ctx, q < 0 ? req.url : req.url.slice(0, q));
    if (r) {
      // A cache entry had to be fetched from the shared layer first.
      r.then(
        () => {
          if (!reply.sent) done();
        },
        (err: unknown) => {
          done(err as Error);
        },
      );
      return;
    }
    if (!reply.sent) done();
  }

  /**
   * Reads a gRPC call's request (bounded by the route, as the attempts would) so its cache key can
   * name the request message; the attempts then send this copy. A body over the limit is answered
   * 413 (RESOURCE_EXHAUSTED to a gRPC client); a client that hung up mid-upload gets nothing.
   */
  private keyByBody(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, done: (err?: Error) => void): void {
    bufferBody(req.body as Readable, ctx.route.config.max_request_body_bytes, contentLength(req.headers as Dispatcher.DispatchOptions['headers'])).then(
      body => {
        req.body = body;
        this.degraded.prepareGrpcCache(req, ctx, body);
        this.finishAdmission(req, reply, done);
      },
      (err: unknown) => {
        if (err instanceof UpstreamFailure) sendLocalReply(this.services, req, reply, err.reply);
        else if (!reply.sent) reply.hijack(); // the client is gone: nothing to answer
      },
    );
  }

  /** The shared limit: one Redis round trip, at most 20 ms, failing open. */
  async distributedCheck(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, limiter: FailOpenLimiter): Promise<boolean> {
    const r = await limiter.check(this.clientKey(req, ctx), 1);
    if (r.limit === 0) return true; // failed open: no figures to report
    return this.applyRateLimit(req, reply, ctx, r, 'rate_limited');
  }

  /** The rate-limit key of a request: a header's value, or the client address (XFF from trusted proxies only). */
  private clientKey(req: FastifyRequest, ctx: RequestContext): string {
    return rateLimitKey(ctx.route.config.rate_limit!.key, req.headers, req.socket.remoteAddress, this.services.trusted);
  }

  /** Records the bucket's figures for the response headers; answers 429 itself and returns false when over the limit. */
  private applyRateLimit(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, r: RateLimitResult, body: string): boolean {
    ctx.rlLimit = r.limit;
    ctx.rlRemaining = r.remaining;
    ctx.rlResetS = Math.ceil(r.resetMs / 1000);
    if (r.allowed) return true;
    const h: Record<string, string> = {};
    setRateLimitHeaders(h, ctx);
    reply.headers(h);
    reply.header('retry-after', String(Math.max(1, ctx.rlResetS)));
    sendLocalReply(this.services, req, reply, { status: ctx.route.config.rate_limit!.status, body, flag: 'RL' });
    return false;
  }

  /** After an injected delay, the abort (rolled independently) may still apply. */
  private readonly afterDelay = (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const status = req.brownout?.fault?.abortStatus ?? 0;
    if (status > 0) this.abortFault(req, reply, status);
    else this.finishAdmission(req, reply, done);
  };

  private abortFault(req: FastifyRequest, reply: FastifyReply, status: number): void {
    sendLocalReply(this.services, req, reply, { status, body: 'fault filter abort', flag: 'FI' });
  }
}


/**
 * Whether a request has a body. Fastify asks as HTTP/1.1 frames one: content-length or
 * transfer-encoding (or, on POST-like methods, a content-type). HTTP/2 frames a body by DATA
 * frames up to END_STREAM, with content-length optional: an h2 POST with neither content-length
 * nor content-type (a streamed fetch, a client that does not know the length) had its upload
 * dropped — the upstream got `content-length: 0` and the client's unread upload a reset.
 */
function carriesBody(req: FastifyRequest, cl: string | undefined): boolean {
  if (cl !== undefined) return cl !== '0';
  if (req.headers['transfer-encoding'] !== undefined) return true;
  return req.raw.httpVersionMajor === 2 && !(req.raw as unknown as Http2ServerRequest).stream.endAfterHeaders;
}
