import type { Http2ServerResponse } from 'node:http2';
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { ClusterRuntime, Deadline, FaultDecision, RouteRuntime } from '@brownout/core';
import type { RequestTrace } from '../observability/request-trace.ts';

/** Everything the gateway knows about one request, from routing to the access log. */
export class RequestContext {
  readonly route: RouteRuntime;
  /** Where attempts go: the route's cluster, or its fallback cluster when degraded to `fallback_service`. */
  cluster: ClusterRuntime;
  readonly startedAt: number;
  readonly deadline: Deadline;
  /** Response flags, Envoy style (`UH`, `UT,URX`, …); empty when none. */
  flags = '';
  /** The peer is a trusted proxy: its x-forwarded-*, forwarded and deadline headers are believed. */
  trustedPeer = false;
  /** The request came over TLS (`listener.tls`): the upstream hears `x-forwarded-proto: https`. */
  secure = false;
  /** `x-forwarded-for` for the upstream (the client's, with the peer appended). */
  forwardedFor = '';
  attempts = 0;
  /** `x-request-id`: the trusted caller's, or generated here; '' when generation is off. */
  requestId = '';
  /** ms from the answering attempt's start to its response headers; -1 when no upstream answered. */
  upstreamMs = -1;
  /** `address:port` of the host that produced the final answer. */
  host = '';
  status = 0;
  /** Set when the answer was degraded: the mode served. */
  degradedMode = '';
  degradeReason = '';
  fault: FaultDecision | undefined;
  /** Rate-limit figures for the `x-ratelimit-*` response headers; limit 0 when the route has no limiter. */
  rlLimit = 0;
  rlRemaining = 0;
  rlResetS = 0;
  /** The canonical path and query (as routed) that the upstream receives, before prefix_rewrite. */
  target = '';
  /** The raw request, when it carries a body Fastify does not read (GET, HEAD, TRACE, QUERY). */
  rawBody: Readable | undefined;
  /** Cache key when this request's good answer should be kept for the `cache` mode; '' otherwise. */
  cacheKey = '';
  /**
   * A gRPC call on a caching route: its cache key needs the request message, so admission reads
   * the (buffered) body before the degradation decision (request-intake.ts keyByBody).
   */
  cacheByBody = false;
  /** Receives a cacheable 200 once it has streamed completely (set by the gateway with cacheKey). */
  cacheStore: ((status: number, raw: Buffer[], body: Buffer) => void) | undefined;
  /** The client's HTTP/2 response when the request is gRPC (grpc/grpc-wire.ts): its trailers go there. */
  grpc: Http2ServerResponse | undefined;
  /**
   * When the gRPC client's own deadline (grpc-timeout) runs out, on the performance.now() clock; -1
   * without one. Forwarded as what is left of it: the route timeout bounds the wait for the
   * answer's headers, not a stream's life, so it is never sent as a gRPC deadline.
   */
  grpcDeadlineAt = -1;
  /** The gRPC status the client got (headers, trailers or the gateway's own); -1 when none (yet). */
  grpcStatus = -1;
  /** The request's spans when tracing is on; undefined otherwise (the one check the request path pays). */
  trace: RequestTrace | undefined;
  /** A relayed answer's content-length as sent (undefined when chunked), for the access log. */
  answerLength: string | undefined;

  /** The client's reply: a relayed answer is written straight to its response (proxy/relayed-answer.ts). */
  readonly reply: FastifyReply;

  constructor(route: RouteRuntime, startedAt: number, deadline: Deadline, reply: FastifyReply) {
    this.reply = reply;
    this.route = route;
    this.cluster = route.cluster;
    this.startedAt = startedAt;
    this.deadline = deadline;
  }

  addFlag(flag: string): void {
    if (this.flags.includes(flag)) return;
    this.flags = this.flags === '' ? flag : `${this.flags},${flag}`;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    brownout: RequestContext | null;
    /** Response flag of a local reply made before routing (no context yet), e.g. `NR`. */
    brownoutFlag: string;
    /** `x-request-id` of a request answered before routing (no context yet). */
    brownoutRequestId: string;
  }
}
