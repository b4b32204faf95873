import { METHODS, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import httpProxy from '@fastify/http-proxy';
import type { GatewayConfig } from '@brownout/core/config';
import { httpStatusForGrpc } from '@brownout/core';
import type { UpstreamDispatcher } from './proxy/upstream-dispatcher.ts';
import { findUpstreamFailure } from './proxy/upstream-failure.ts';
import { LOCAL_REPLIES, localErrorReply, sendLocalReply } from './pipeline/local-reply.ts';
import { localErrorCode } from './proxy/classify-error.ts';
import { listenerServerOptions, servesHttp2 } from './lifecycle/listener-server.ts';
import { canonicalTarget, emptyTarget, REFUSED, type RefusedRequest } from './routing/request-target.ts';
import type { RequestIntake } from './pipeline/request-intake.ts';
import { forwardedFor } from './routing/client-key.ts';
import type { DegradedAnswers } from './degradation/degraded-answers.ts';
import type { GatewayMetrics } from './observability/metrics.ts';
import type { AccessLog } from './observability/access-log.ts';
import type { GatewayServices } from './pipeline/gateway-services.ts';

/** Every method Node's HTTP parser accepts, except CONNECT (a tunnel, which this proxy does not open). */
const PROXIED_METHODS = METHODS.filter(m => m !== 'CONNECT');

/** The pieces of the request pipeline the public listener calls into. */
export interface PublicAppParts {
  readonly intake: RequestIntake;
  readonly degraded: DegradedAnswers;
  readonly dispatcher: UpstreamDispatcher;
  readonly accessLog: AccessLog;
}

/**
 * Malformed HTTP (Node's parser refused it, or the client was too slow with its headers or body):
 * a plain-text 400 (431 for oversized headers, 408 for a timeout) with `connection: close`, counted
 * by flag. Never Fastify's JSON body.
 *
 * The socket is destroyed once the answer is written, not merely ended: Node's server is half-open,
 * so an ended socket lived until the client closed it — one cheap malformed request pinned a file
 * descriptor for as long as the client liked. A client that does not read the answer at all is cut
 * after a second.
 */
function clientError(metrics: GatewayMetrics, err: Error & { code?: string }, socket: Duplex): void {
  // A client that reset or closed its connection is not a malformed request: nothing to answer or count.
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  metrics.localReply('-', timedOut ? 'SI' : 'DPE');
  const body = tooLarge ? 'request headers too large' : timedOut ? 'request timeout: the request was not received in time' : `bad request: ${err.code ?? 'malformed HTTP'}`;
  const status = tooLarge ? '431 Request Header Fields Too Large' : timedOut ? '408 Request Timeout' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`, () => {
    socket.destroy();
  });
  setTimeout(() => {
    socket.destroy();
  }, 1_000).unref();
}

/**
 * What Node's parser accepts but RFC 9112 does not, refused (400, connection closed) before routing:
 * two `Host` headers (§3.2: a request with more than one is answered 400 — Node keeps the first, an
 * upstream might read the other), and an HTTP/1.0 request with `Transfer-Encoding` (§6.1: its framing
 * is faulty and the connection must not be reused — Node would have kept it alive). One pass over
 * the raw header names, comparing lengths first.
 */
function http1FramingFault(req: IncomingMessage): string | undefined {
  if (req.httpVersionMinor === 0 && req.headers['transfer-encoding'] !== undefined) return 'Transfer-Encoding in an HTTP/1.0 request';
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && (name === 'Host' || name.toLowerCase() === 'host') && ++hosts > 1) return 'more than one Host header';
  }
  return undefined;
}

/**
 * HTTP/2's `:authority` (RFC 9113 §8.3.1): no userinfo (`user:pw@host` would reach the upstream as
 * its Host), and a `host` header sent beside it must name the same authority (§8.3.1: otherwise the
 * request is malformed — one of them would be believed by us, the other by the upstream).
 */
function http2AuthorityFault(req: IncomingMessage): string | undefined {
  const authority = req.headers[':authority'];
  if (typeof authority !== 'string') return undefined;
  if (authority.includes('@')) return 'userinfo in :authority';
  const hostHeader = req.headers.host;
  if (hostHeader !== undefined && hostHeader !== authority) return 'host header differs from :authority';
  return undefined;
}

/**
 * The public listener: Fastify with the target canonicalised before routing, every method
 * proxied, framework errors turned into local replies, and @fastify/http-proxy with one
 * preHandler (admission) and reply-from's hooks (request/response headers, upstream failures).
 */
export function buildPublicApp(services: GatewayServices, listener: GatewayConfig['listener'], parts: PublicAppParts): FastifyInstance {
const { intake, degraded, dispatcher, accessLog } = parts;
  const l = listener;
  const target = emptyTarget();
  const http2 = servesHttp2(l);
  const app = Fastify({
    logger: false,
    ...(listenerServerOptions(l) as { http: { maxHeaderSize: number } }),
    return503OnClosing: true,
    // HTTP/2 listeners are drained by the gateway (lifecycle/open-connections.ts): Node's h2 servers lack closeIdleConnections.
    forceCloseConnections: http2 ? false : 'idle',
    requestIdHeader: false,
    // Malformed HTTP never reaches Fastify's JSON 400: our own plain-text answer, counted.
    clientErrorHandler: (err, socket) => {
      clientError(services.metrics, err, socket);
    },
    // Before Fastify routes: the one canonical form of the target (see routing/request-target.ts).
    rewriteUrl(req) {
      const framing = req.httpVersionMajor === 1 ? http1FramingFault(req) : http2AuthorityFault(req);
      if (framing !== undefined) {
        (req as RefusedRequest)[REFUSED] = framing;
        return '/';
      }
      const t = canonicalTarget(req.url ?? '/', services.targetRules, target);
      if (t.reason !== undefined) {
        (req as RefusedRequest)[REFUSED] = t.reason;
        return '/';
      }
      if (t.authority !== undefined) req.headers.host = t.authority;
      return t.url;
    },
  });
  app.decorateRequest('brownout', null);
  app.decorateRequest('brownoutFlag', '');
  app.decorateRequest('brownoutRequestId', '');
  // Every method Node's parser accepts is proxied (CONNECT is a tunnel, not proxied). QUERY is
  // taken as bodyless like GET so Fastify does not answer for it; bodies of bodyless methods
  // are read from the raw request by the dispatcher.
  for (const m of PROXIED_METHODS) {
    if (m === 'QUERY') app.addHttpMethod(m, { hasBody: false, overrideExisting: true });
    else if (!app.supportedMethods.includes(m)) app.addHttpMethod(m, { hasBody: true });
  }
  // Anything Fastify itself would refuse is a plain-text local reply with a flag, never its JSON.
  app.setErrorHandler((e: unknown, req, reply) => {
    const err = e as { statusCode?: unknown; code?: unknown };
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    const code = typeof err.code === 'string' ? err.code : 'unknown';
    if (status >= 500) services.metrics.localError(req.brownout?.route.name ?? '-', code);
    void sendLocalReply(services, req, reply, { status, body: status >= 500 ? `gateway error before the upstream: ${code}` : `bad request: ${code}`, flag: status >= 500 ? 'LE' : 'DPE' });
  });
  app.setNotFoundHandler((req, reply) => {
    void sendLocalReply(services, req, reply, LOCAL_REPLIES.noRoute);
  });
  // Every body streams to the proxy's pass-through parser; the dispatcher buffers it under the
  // route's limit. Fastify's own text/plain parser would otherwise win and buffer unbounded.
  app.removeAllContentTypeParsers();

  app.addHook('onResponse', (req, reply, done) => {
    const ctx = req.brownout;
    const ms = reply.elapsedTime;
    const status = reply.statusCode;
    // A gRPC answer counts by what its status means (UNAVAILABLE as a 503), not by its HTTP 200.
    const grpc = ctx?.grpcStatus ?? -1;
    if (grpc >= 0) services.metrics.grpcResponse(ctx!.route.name, grpc);
    services.metrics.request(ctx?.route.name ?? '-', grpc >= 0 ? httpStatusForGrpc(grpc) : status, ms / 1000, (ctx?.degradedMode ?? '') !== '');
    accessLog.write(req, reply, ms);
    if (ctx?.trace) ctx.trace.end(status, ctx.cluster.name, ctx.flags, ctx.degradedMode, ctx.requestId);
    if (ctx?.fault?.active) ctx.route.fault!.release(ctx.fault);
    done();
  });

  /** Routing and admission (pipeline/request-intake.ts); then reply-from sends the request upstream. */
  const preHandle = (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const ctx = intake.route(req, reply);
    if (!ctx) return;
    const shared = services.distributedLimiters.get(ctx.route.name);
    if (!shared) {
      intake.continueAdmission(req, reply, ctx, done);
      return;
    }
    // Only a shared (Redis) limit or an injected delay makes admission asynchronous.
    intake.distributedCheck(req, reply, ctx, shared).then(
      ok => {
        if (ok) intake.continueAdmission(req, reply, ctx, done);
      },
      (err: unknown) => {
        done(err as Error);
      },
    );
  };

  /** The HTTP/2 admission, one turn later (arguments passed through setImmediate: no closure per request). */
  const admitNextTurn = (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    if ((req.raw as unknown as { stream: { closed: boolean } }).stream.closed) {
      reply.hijack();
      return;
    }
    preHandle(req, reply, done);
  };

  void app.register(httpProxy, {
    upstream: 'http://brownout.upstream',
    undici: dispatcher as never,
    // The engine owns retries; reply-from's own loop would retry GET/503 ten times.
    retryMethods: [],
    disableRequestLogging: true,
    httpMethods: PROXIED_METHODS,
    preHandler: (req, reply, done) => {
      if ((req.raw as { stream?: unknown }).stream !== undefined) {
        // HTTP/2: admit on the next turn of the event loop, after the rest of this read is parsed.
        // A rapid-reset client sends HEADERS and RST_STREAM in one packet: by then its stream is
        // closed, and it costs no upstream request (and no upstream connection torn down).
        setImmediate(admitNextTurn, req, reply, done);
        return;
      }
      preHandle(req, reply, done);
    },
    replyOptions: {
      rewriteRequestHeaders: (req, headers) => {
        const h = headers as Record<string, unknown>;
        const ctx = req.brownout;
        if (ctx) dispatcher.handOff(ctx);
        // Keep the client's Host (Envoy's default) unless the route rewrites it.
        // HTTP/2 carries it as :authority (reply-from drops pseudo-headers).
        h.host = ctx?.route.config.host_rewrite ?? req.headers.host ?? req.headers[':authority'];
        // The dispatcher appends it to undici's header list (see UpstreamRequest.headerList). A
        // request without a context never gets that far: the dispatcher refuses it.
        if (ctx) {
          ctx.forwardedFor = forwardedFor(req.headers['x-forwarded-for'], req.ip);
        }
        return headers;
      },
      // No rewriteHeaders: answers are relayed by the dispatcher (proxy/relayed-answer.ts), never
      // through reply-from's response path; it only hears failures (onError below).
      onError: (reply, { error }) => {
        const f = findUpstreamFailure(error);
        if (f) {
          const req = reply.request as FastifyRequest;
          const ctx = req.brownout;
          if (f.trigger === 'upstream' && ctx) {
            degraded.answerFailure(req, reply as FastifyReply, ctx, f.reply);
            return;
          }
          if ((f.trigger === 'breaker' || f.trigger === 'no-healthy-host') && degraded.degradeOnFailure(req, reply as FastifyReply, f.trigger)) return;
          void sendLocalReply(services, req, reply as FastifyReply, f.reply);
          return;
        }
        // Not an upstream answer or failure we know: ours, and never blamed on a host.
        const code = localErrorCode(error);
        const req = reply.request as FastifyRequest;
        services.metrics.localError(req.brownout?.route.name ?? '-', code);
        void sendLocalReply(services, req, reply as FastifyReply, localErrorReply(code));
      },
    },
  });
  return app;
}
