import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayServices } from './gateway-services.ts';
import { requestIdFor } from '../routing/request-id.ts';
import { isGrpcRequest, sendGrpcStatus } from '../grpc/grpc-wire.ts';

const TEXT = 'text/plain; charset=utf-8';

/**
 * Replies the gateway makes itself, with Envoy's bodies and response flags so operators who know
 * Envoy's access logs read ours without a glossary.
 */
export const ResponseFlag = {
  NoHealthyUpstream: 'UH',
  UpstreamConnectionFailure: 'UF',
  UpstreamOverflow: 'UO',
  RetryLimitExceeded: 'URX',
  UpstreamRequestTimeout: 'UT',
  UpstreamRemoteReset: 'UR',
  /** Envoy's upstream protocol error: an answer that cannot be sent on as it is. */
  UpstreamProtocolError: 'UPE',
  NoRoute: 'NR',
  DelayInjected: 'DI',
  FaultInjected: 'FI',
  RateLimited: 'RL',
  BreakerOpen: 'CO',
  Degraded: 'DG',
  PayloadTooLarge: 'PTL',
  FailedLocalHealthCheck: 'LH',
  /** Brownout's own: the gateway failed before the upstream was involved (never charged to a host). */
  LocalError: 'LE',
  /** Envoy's downstream protocol error: the request was refused as malformed (bad target, bad HTTP). */
  DownstreamProtocolError: 'DPE',
  /** Envoy's stream idle timeout: an upgraded connection closed after `idle_timeout` without bytes. */
  StreamIdleTimeout: 'SI',
  /** Brownout's own: a protocol upgrade (WebSocket, h2c) the route does not allow. */
  UpgradeRefused: 'UPG',
} as const;
export type ResponseFlag = (typeof ResponseFlag)[keyof typeof ResponseFlag];

export interface LocalReply {
  readonly status: number;
  readonly body: string;
  readonly flag: ResponseFlag;
  readonly headers?: Readonly<Record<string, string>>;
}

export const LOCAL_REPLIES = {
  noHealthyUpstream: { status: 503, body: 'no healthy upstream', flag: 'UH' },
  upstreamTimeout: { status: 504, body: 'upstream request timeout', flag: 'UT' },
  overflow: {
    status: 503,
    body: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
    flag: 'UO',
    headers: { 'x-brownout-overloaded': 'true' },
  },
  noRoute: { status: 404, body: 'no route', flag: 'NR' },
  payloadTooLarge: { status: 413, body: 'request body exceeds the route limit', flag: 'PTL', headers: { connection: 'close' } },
  breakerOpen: { status: 503, body: 'circuit breaker open', flag: 'CO' },
  /** An upstream answer that cannot be sent on as it is (a header or status Node refuses). */
  upstreamProtocolError: { status: 502, body: 'upstream answer could not be relayed: protocol error', flag: 'UPE' },
  upgradeRefused: { status: 403, body: 'upgrade not allowed on this route', flag: 'UPG', headers: { connection: 'close' } },
} as const satisfies Record<string, LocalReply>;

/** Envoy's reset local reply, naming the last reset reason. */
export function resetReply(reason: string, retried: boolean, connectFailure: boolean): LocalReply {
  return {
    status: 503,
    body: `upstream connect error or disconnect/reset before headers. ${retried ? 'retried and the latest reset reason' : 'reset reason'}: ${reason}`,
    flag: connectFailure ? 'UF' : 'UR',
  };
}

/**
 * An upstream's 5xx answer the gateway set aside for the route's fallback chain; sent only if the
 * chain turns out unable to answer after all (the answer itself is gone by then).
 */
export function failedAnswerReply(status: number): LocalReply {
  return { status: status === 504 ? 504 : 503, body: `upstream answered ${status}`, flag: 'UR' };
}

/** The gateway's own failure (see classify-error.ts `isLocalError`): never an upstream's. */
export function localErrorReply(code: string): LocalReply {
  return { status: 500, body: `gateway error before the upstream: ${code}`, flag: 'LE' };
}

/** Sends a reply the gateway makes itself: plain text, the response flag recorded and counted. */
export function sendLocalReply(services: Pick<GatewayServices, 'metrics' | 'draining' | 'requestIds'>, req: FastifyRequest, reply: FastifyReply, r: LocalReply): FastifyReply {
  if (req.brownout) {
    req.brownout.addFlag(r.flag);
  } else {
    req.brownoutFlag = r.flag;
    // Refused before routing (no context, trust not established): an id of our own.
    req.brownoutRequestId = requestIdFor(req.headers['x-request-id'], false, services.requestIds);
    if (req.brownoutRequestId !== '') reply.header('x-request-id', req.brownoutRequestId);
  }
  services.metrics.localReply(req.brownout?.route.name ?? '-', r.flag);
  // A gRPC caller understands gRPC statuses only: the same reply as a gRPC status and message.
  const grpc = req.brownout ? req.brownout.grpc !== undefined : isGrpcRequest(req.raw.httpVersionMajor, req.headers);
  if (!grpc) reply.code(r.status).type(TEXT);
  const h1 = speaksHttp1(req);
  if (r.headers) {
    if (h1 || r.headers.connection === undefined) reply.headers(r.headers);
    else for (const [k, v] of Object.entries(r.headers)) if (k !== 'connection') reply.header(k, v);
  }
  if (services.draining && h1) reply.header('connection', 'close');
  if (grpc) {
    const code = sendGrpcStatus(reply, r.status, r.body);
    if (req.brownout) req.brownout.grpcStatus = code;
    return reply;
  }
  return reply.send(r.body);
}

/**
 * HTTP/1.x: `connection: close` means something. HTTP/2 forbids connection-specific headers (Node
 * drops them with a warning); its drain is a GOAWAY (see lifecycle/open-connections.ts).
 */
export function speaksHttp1(req: FastifyRequest): boolean {
  return req.raw.httpVersionMajor === 1;
}
