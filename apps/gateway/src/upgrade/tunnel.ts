import type { IncomingMessage, ClientRequest, OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ClusterRuntime, Host, ResourceLimits, RouteRuntime } from '@brownout/core';
import { forwardedFor } from '../routing/client-key.ts';
import { HeaderKind, connectionListed, upstreamHeaderKind } from '../proxy/hop-by-hop.ts';
import { upstreamTlsOptions, type UpstreamTlsOptions } from '../proxy/upstream-tls.ts';

// What a tunnel is and what it sends upstream: its state, its handshake's headers, its TLS.

/** The first protocol of an `Upgrade` header, lower-cased (`websocket`, `h2c`, …). */
export function upgradeToken(v: string | undefined): string {
  if (v === undefined) return '';
  const comma = v.indexOf(',');
  return (comma < 0 ? v : v.slice(0, comma)).trim().toLowerCase();
}

/** One handshake or open tunnel: the client's socket, the upstream request and what they hold. */
export class Tunnel {
  readonly req: IncomingMessage;
  readonly client: Duplex;
  readonly startedAt = performance.now();
  upstream: ClientRequest | undefined;
  upstreamSocket: Duplex | undefined;
  route: RouteRuntime | undefined;
  cluster: ClusterRuntime | undefined;
  host: Host | undefined;
  flags = '';
  status = 0;
  upstreamMs = -1;
  requestId = '';
  /** Holds one of the cluster's max_connections from admission until the tunnel closes. */
  holdsConnection = false;
  limits: ResourceLimits | undefined;
  holdsBreaker = false;
  holdsHostRequest = false;
  connected = false;
  /** The handshake is over (a 101, another answer or a local reply): nothing more to decide. */
  settled = false;
  connectTimer: NodeJS.Timeout | undefined;
  handshakeTimer: NodeJS.Timeout | undefined;
  constructor(req: IncomingMessage, client: Duplex) {
    this.req = req;
    this.client = client;
  }
}

/** The handshake as the upstream receives it: hop-by-hop headers gone, ours and the forwarded ones set. */
export function tunnelRequestHeaders(req: IncomingMessage, t: Tunnel, trustedPeer: boolean, secure: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const listed = connectionListed(req.headers.connection);
  let proto = false;
  for (const k in req.headers) {
    const v = req.headers[k];
    if (v === undefined || listed.includes(k)) continue;
    const kind = upstreamHeaderKind(k);
    if (kind === HeaderKind.HopByHop || kind === HeaderKind.Ours) continue;
    if (kind === HeaderKind.Forwarded) {
      if (!trustedPeer) continue;
      if (k === 'x-forwarded-proto') proto = true;
    }
    out[k] = v;
  }
  out.host = t.route!.config.host_rewrite ?? req.headers.host;
  out.connection = 'upgrade';
  out.upgrade = req.headers.upgrade;
  out['x-forwarded-for'] = forwardedFor(req.headers['x-forwarded-for'], req.socket.remoteAddress);
  if (t.requestId !== '') out['x-request-id'] = t.requestId;
  if (!proto) out['x-forwarded-proto'] = secure ? 'https' : 'http';
  return out;
}

/** TLS material per cluster config and host (read once per config object, not per handshake). */
export class TunnelTls {
  private readonly cache = new WeakMap<object, Map<string, UpstreamTlsOptions>>();

  optionsFor(cluster: ClusterRuntime, h: Host): UpstreamTlsOptions {
    const cfg = cluster.config;
    let byHost = this.cache.get(cfg);
    if (!byHost) {
      byHost = new Map();
      this.cache.set(cfg, byHost);
    }
    let o = byHost.get(h.address);
    if (!o) {
      o = upstreamTlsOptions(cluster.name, cfg.tls!, h.address);
      byHost.set(h.address, o);
    }
    return o;
  }
}
