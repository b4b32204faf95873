import type { IncomingHttpHeaders } from 'node:http';
import { Admission, type ClusterRuntime, type RateLimitResult, type ResourceLimits, type RouteRuntime } from '@brownout/core';
import { matchRoute } from '../routing/route-matcher.ts';
import { rateLimitKey } from '../routing/client-key.ts';
import { requestIdFor } from '../routing/request-id.ts';
import type { GatewayServices } from './gateway-services.ts';
import { LOCAL_REPLIES, type LocalReply } from './local-reply.ts';

/**
 * The admit steps every way into the gateway shares — plain requests (request-intake.ts), upgrade
 * tunnels (upgrade/upgrade-tunnels.ts) and, next, gRPC — so an admission rule is written once.
 * Framework-free (a method, a path, Node's header object, the peer's address), synchronous, and
 * allocation-free on the admitted path: results go into objects the caller owns and reuses.
 * What differs by protocol stays with the protocol: how a refusal is sent, the request context of
 * a plain request (deadline, body limit, tracing), a tunnel's `Upgrade` check.
 */

/** Who is asking and where it goes: filled by `admitRoute`. */
export interface Admitted {
  route: RouteRuntime | undefined;
  /** The peer is a trusted proxy: its x-forwarded-for, deadline and request id are believed. */
  trustedPeer: boolean;
  /** The request id (kept from a trusted peer, or new); '' when ids are off. */
  requestId: string;
}

export function emptyAdmitted(): Admitted {
  return { route: undefined, trustedPeer: false, requestId: '' };
}

/** Step 1: the route, the peer's trust and the request id. A request no route takes gets the `noRoute` reply. */
export function admitRoute(services: GatewayServices, method: string, path: string, headers: IncomingHttpHeaders, remoteAddress: string | undefined, out: Admitted): LocalReply | undefined {
  const route = matchRoute(services.engine.routes, method, path, headers);
  out.route = route;
  if (!route) return LOCAL_REPLIES.noRoute;
  out.trustedPeer = services.trusted.trusts(remoteAddress);
  out.requestId = requestIdFor(headers['x-request-id'], out.trustedPeer, services.requestIds);
  return undefined;
}

/**
 * Step 2: the route's local token bucket, keyed by a header or the client address (x-forwarded-for
 * from trusted proxies only). Undefined when the route has no limit; otherwise the bucket's
 * figures (in `scratch`), `allowed` false when over it.
 */
export function localRateLimit(services: GatewayServices, route: RouteRuntime, headers: IncomingHttpHeaders, remoteAddress: string | undefined, scratch: RateLimitResult): RateLimitResult | undefined {
  const limiter = route.rateLimiter;
  if (!limiter) return undefined;
  return limiter.check(rateLimitKey(route.config.rate_limit!.key, headers, remoteAddress, services.trusted), performance.now(), scratch);
}

/** What `acquireUpstream` took: released by the caller when its request or tunnel ends. */
export const Acquired = {
  /** The cluster's request (or connection) slot only: the route has no breaker, or goes to a fallback. */
  Slot: 1,
  /** The slot and one of the route breaker's calls. */
  SlotAndBreaker: 2,
} as const;
export type Acquired = (typeof Acquired)[keyof typeof Acquired];

/**
 * Step 3, last before a host is picked: the route's breaker (it guards the route's own cluster; a
 * fallback service is judged by its own health), then the cluster's limit for the route's
 * priority — a request slot for a request, a connection for a tunnel (its own upstream connection,
 * as in Envoy). Returns what was taken, or the refusal; on a refusal nothing is held.
 */
export function acquireUpstream(route: RouteRuntime, cluster: ClusterRuntime, limits: ResourceLimits, slot: 'request' | 'connection'): Acquired | LocalReply {
  let breaker = false;
  if (route.breaker && cluster === route.cluster) {
    if (!route.breaker.tryAcquire()) return LOCAL_REPLIES.breakerOpen;
    breaker = true;
  }
  const ok = slot === 'request' ? limits.tryAcquireRequest() === Admission.Admitted : limits.tryAcquireConnection();
  if (!ok) {
    if (breaker) route.breaker!.onIgnored();
    return LOCAL_REPLIES.overflow;
  }
  return breaker ? Acquired.SlotAndBreaker : Acquired.Slot;
}
