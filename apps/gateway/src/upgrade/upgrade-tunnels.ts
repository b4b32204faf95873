import { STATUS_CODES, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { ResetKind, emptyRateLimitResult, isNoHealthyHost, timerDelay, type Host } from '@brownout/core';
import type { GatewayServices } from '../pipeline/gateway-services.ts';
import type { DegradedAnswers } from '../degradation/degraded-answers.ts';
import type { AccessLog } from '../observability/access-log.ts';
import { canonicalTarget, emptyTarget } from '../routing/request-target.ts';
import { Tunnel, TunnelTls, tunnelRequestHeaders, upgradeToken } from './tunnel.ts';
import { acquireUpstream, Acquired, admitRoute, emptyAdmitted, localRateLimit } from '../pipeline/admit.ts';
import { requestIdFor } from '../routing/request-id.ts';
import { withoutHopByHop } from '../proxy/hop-by-hop.ts';
import { classifyAttemptError, resetReason } from '../proxy/classify-error.ts';
import { LOCAL_REPLIES, resetReply, type LocalReply } from '../pipeline/local-reply.ts';
import { UpgradeMetrics } from './upgrade-metrics.ts';

/**
 * Protocol upgrades (WebSocket and any `Upgrade` a route lists in `upgrade_configs`) tunnelled to a
 * host the engine picks: the route, the local rate limit, switches (only `fallback_service` can
 * carry a tunnel; other degraded modes refuse it), the breaker and the cluster's connection limit
 * are applied as for a request; a connect failure or a 5xx refusal counts for outlier detection
 * and the breaker. An upgrade is never retried — the client has already sent its handshake and
 * would see two. Each tunnel holds one of the cluster's `max_connections` (its own upstream
 * connection, as in Envoy) for its lifetime; tunnels are closed at the end of a drain.
 */
export class UpgradeTunnels {
  private readonly services: GatewayServices;
  private readonly degraded: DegradedAnswers;
  private readonly accessLog: AccessLog;
  private readonly open = new Set<Tunnel>();
  private readonly target = emptyTarget();
  private readonly rlScratch = emptyRateLimitResult();
  /** Reused: admission is synchronous. */
  private readonly admitted = emptyAdmitted();
  private readonly tls = new TunnelTls();
  private readonly metrics: UpgradeMetrics;

  constructor(services: GatewayServices, degraded: DegradedAnswers, accessLog: AccessLog) {
    this.services = services;
    this.degraded = degraded;
    this.accessLog = accessLog;
    this.metrics = new UpgradeMetrics(services.metrics.registry, () => this.open.size);
  }

  /** Open tunnels and handshakes in progress. */
  get size(): number {
    return this.open.size;
  }

  /** The public server's `upgrade` listener. */
  readonly handle = (req: IncomingMessage, client: Duplex, head: Buffer): void => {
    const t = new Tunnel(req, client);
    // A client that resets mid-handshake or mid-tunnel must never crash the process.
    client.on('error', () => {
      this.close(t);
    });
    client.on('close', () => {
      this.close(t);
    });
    this.open.add(t);
    try {
      this.admit(req, t, head);
    } catch (e) {
      // Ours (a TLS file that cannot be read, a header Node refuses): never charged to a host.
      const code = (e as { code?: unknown }).code;
      this.services.metrics.localError(t.route?.name ?? '-', typeof code === 'string' ? code : 'upgrade');
      this.refuse(req, t, { status: 500, body: `gateway error before the upstream: ${e instanceof Error ? e.message : String(e)}`, flag: 'LE' });
    }
  };

  private admit(req: IncomingMessage, t: Tunnel, head: Buffer): void {
    const services = this.services;
    if (services.draining) {
      this.refuse(req, t, { status: 503, body: 'gateway is draining', flag: 'LH' });
      return;
    }
    const target = canonicalTarget(req.url ?? '/', services.targetRules, this.target);
    if (target.reason !== undefined) {
      this.refuse(req, t, { status: 400, body: `bad request: ${target.reason}`, flag: 'DPE' });
      return;
    }
    if (target.authority !== undefined) req.headers.host = target.authority;
    const url = target.url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const admitted = this.admitted;
    const noRoute = admitRoute(services, req.method ?? 'GET', path, req.headers, req.socket.remoteAddress, admitted);
    if (noRoute) {
      this.refuse(req, t, noRoute);
      return;
    }
    const route = admitted.route!;
    const trustedPeer = admitted.trustedPeer;
    t.route = route;
    t.requestId = admitted.requestId;
    const wanted = upgradeToken(req.headers.upgrade);
    if (!route.config.upgrade_configs.some(u => u.enabled && u.upgrade_type === wanted)) {
      this.refuse(req, t, { ...LOCAL_REPLIES.upgradeRefused, body: `upgrade to "${wanted.slice(0, 40)}" is not allowed on this route` });
      return;
    }
    const r = localRateLimit(services, route, req.headers, req.socket.remoteAddress, this.rlScratch);
    if (r && !r.allowed) {
      this.refuse(req, t, { status: route.config.rate_limit!.status, body: 'local_rate_limited', flag: 'RL', headers: { 'retry-after': String(Math.max(1, Math.ceil(r.resetMs / 1000))) } });
      return;
    }
    // Switches and triggers: a tunnel can go to the fallback service; no other mode can carry one.
    const goTo = this.degraded.tunnelTarget(route);
    if ('status' in goTo) {
      this.refuse(req, t, goTo);
      return;
    }
    const cluster = goTo;
    if (cluster !== route.cluster) t.flags = 'DG';
    t.cluster = cluster;
    t.limits = cluster.limits.forRoute(route.config.priority);
    const acquired = acquireUpstream(route, cluster, t.limits, 'connection');
    if (typeof acquired !== 'number') {
      this.refuse(req, t, acquired);
      return;
    }
    t.holdsBreaker = acquired === Acquired.SlotAndBreaker;
    t.holdsConnection = true;
    const picked = cluster.pick();
    if (isNoHealthyHost(picked)) {
      // As for a request: no host to go to is the cluster's failure, and the breaker hears it.
      this.reportBreaker(t, true);
      this.refuse(req, t, LOCAL_REPLIES.noHealthyUpstream);
      return;
    }
    this.connect(req, t, picked, trustedPeer, q < 0 ? path : path + url.slice(q), head);
  }

  private connect(req: IncomingMessage, t: Tunnel, h: Host, trustedPeer: boolean, url: string, head: Buffer): void {
    const route = t.route!;
    const cluster = t.cluster!;
    t.host = h;
    h.activeRequests++;
    t.holdsHostRequest = true;
    const rw = route.config.prefix_rewrite;
    const prefix = route.config.match.prefix;
    const path = rw !== undefined && prefix !== undefined ? rw + url.slice(prefix.length) : url;
    const tls = cluster.config.tls;
    const address = h.address.startsWith('[') ? h.address.slice(1, -1) : h.address;
    const up = (tls ? httpsRequest : httpRequest)({
      host: address,
      port: h.port,
      method: req.method,
      path,
      headers: tunnelRequestHeaders(req, t, trustedPeer, this.services.secure),
      setHost: false,
      // Its own connection: an upgraded connection never goes back to a pool.
      agent: false,
      ...(tls ? this.tls.optionsFor(cluster, h) : {}),
    });
    t.upstream = up;
    t.connectTimer = setTimeout(() => {
      up.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }));
    }, timerDelay(cluster.config.connect_timeout));
    // The route timeout bounds the handshake (0 disables it, as for requests); not the tunnel's life.
    if (route.config.timeout > 0) {
      t.handshakeTimer = setTimeout(() => {
        this.handshakeTimeout(req, t);
      }, timerDelay(route.config.timeout));
    }
    up.on('socket', s => {
      s.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(t.connectTimer);
        t.connected = true;
        cluster.recordConnected(h);
      });
    });
    up.on('upgrade', (res, upSocket, upHead) => {
      this.established(req, t, res, upSocket, upHead, head);
    });
    up.on('response', res => {
      this.answered(t, res);
    });
    up.on('error', err => {
      this.upstreamError(req, t, err);
    });
    up.end();
  }

  /** The client's headers minus hop-by-hop ones, with the upgrade itself and ours (as for a request). */
  /** The upstream switched protocols: the client gets its 101, then bytes flow both ways untouched. */
  private established(req: IncomingMessage, t: Tunnel, res: IncomingMessage, up: Duplex, upHead: Buffer, clientHead: Buffer): void {
    if (t.settled) {
      up.destroy();
      return;
    }
    this.settle(t);
    t.status = 101;
    t.upstreamMs = performance.now() - t.startedAt;
    t.upstreamSocket = up;
    const cluster = t.cluster!;
    cluster.recordResponse(t.host!, 101);
    this.services.metrics.upstreamResponse(cluster.name, t.host!.id, 101, t.upstreamMs / 1000);
    if (t.holdsBreaker) {
      t.holdsBreaker = false;
      t.route!.breaker!.onSuccess(t.upstreamMs);
    }
    this.metrics.upgraded(t.route!.name, upgradeToken(req.headers.upgrade));
    this.services.metrics.request(t.route!.name, 101, t.upstreamMs / 1000, t.flags !== '');
    let headText = `HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}\r\n`;
    const raw = res.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i]!.toLowerCase() === 'x-request-id' && t.requestId !== '') continue;
      headText += `${raw[i]}: ${raw[i + 1]}\r\n`;
    }
    if (t.requestId !== '') headText += `x-request-id: ${t.requestId}\r\n`;
    const client = t.client;
    client.write(`${headText}\r\n`);
    if (upHead.length > 0) client.write(upHead);
    if (clientHead.length > 0) up.write(clientHead);
    (up as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    (client as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    up.on('error', () => {
      this.close(t);
    });
    up.on('close', () => {
      this.close(t);
    });
    // Envoy's stream idle timeout: bytes either way pass through the client's socket (read or
    // written), so its inactivity timer is the tunnel's.
    const idle = t.route!.config.idle_timeout;
    if (idle > 0) {
      (client as Duplex & { setTimeout(ms: number): void }).setTimeout(timerDelay(idle));
      client.once('timeout', () => {
        t.flags = t.flags === '' ? 'SI' : `${t.flags},SI`;
        this.services.metrics.localReply(t.route!.name, 'SI');
        this.close(t);
      });
    }
    client.pipe(up);
    up.pipe(client);
  }

  /** The upstream answered without switching: its answer goes to the client, and the tunnel is over. */
  private answered(t: Tunnel, res: IncomingMessage): void {
    if (t.settled) {
      res.destroy();
      return;
    }
    this.settle(t);
    const status = res.statusCode ?? 502;
    t.status = status;
    t.upstreamMs = performance.now() - t.startedAt;
    const cluster = t.cluster!;
    cluster.recordResponse(t.host!, status);
    this.services.metrics.upstreamResponse(cluster.name, t.host!.id, status, t.upstreamMs / 1000);
    this.reportBreaker(t, status >= 500);
    this.services.metrics.request(t.route!.name, status, t.upstreamMs / 1000, t.flags !== '');
    const headers = withoutHopByHop(res.headers);
    let headText = `HTTP/1.1 ${status} ${res.statusMessage ?? ''}\r\n`;
    for (const k in headers) {
      if (k === 'x-request-id') continue;
      const v = headers[k]!;
      for (const one of Array.isArray(v) ? v : [v]) headText += `${k}: ${one}\r\n`;
    }
    if (t.requestId !== '') headText += `x-request-id: ${t.requestId}\r\n`;
    t.client.write(`${headText}connection: close\r\n\r\n`);
    // Without content-length the body is delimited by the close, as HTTP/1.1 allows.
    res.pipe(t.client);
    res.on('error', () => {
      t.client.destroy();
    });
  }

  private upstreamError(req: IncomingMessage, t: Tunnel, err: Error): void {
    if (t.settled) {
      this.close(t);
      return;
    }
    // Anything before the connection was up (refused, timed out, a failed TLS handshake) is a connect failure.
    const kind = t.connected ? classifyAttemptError(err) : ResetKind.ConnectFailure;
    const cluster = t.cluster!;
    cluster.recordReset(t.host!, kind);
    this.services.metrics.upstreamReset(cluster.name, t.host!.id, kind);
    this.reportBreaker(t, true);
    this.refuse(req, t, resetReply(resetReason(kind, err), false, kind === ResetKind.ConnectFailure));
  }

  private handshakeTimeout(req: IncomingMessage, t: Tunnel): void {
    if (t.settled) return;
    const cluster = t.cluster!;
    cluster.recordReset(t.host!, ResetKind.PerTryTimeout);
    this.services.metrics.upstreamReset(cluster.name, t.host!.id, ResetKind.PerTryTimeout);
    this.reportBreaker(t, true);
    this.refuse(req, t, LOCAL_REPLIES.upstreamTimeout);
  }

  private reportBreaker(t: Tunnel, failed: boolean): void {
    if (!t.holdsBreaker) return;
    t.holdsBreaker = false;
    const ms = performance.now() - t.startedAt;
    if (failed) t.route!.breaker!.onFailure(ms);
    else t.route!.breaker!.onSuccess(ms);
  }

  /** The handshake is decided: timers off, the host's in-flight count back. */
  private settle(t: Tunnel): void {
    t.settled = true;
    clearTimeout(t.connectTimer);
    clearTimeout(t.handshakeTimer);
    if (t.holdsHostRequest) {
      t.holdsHostRequest = false;
      t.host!.activeRequests--;
    }
  }

  /** A reply the gateway makes itself on the raw socket (Node hands an upgrade over before any response object exists). */
  private refuse(req: IncomingMessage, t: Tunnel, r: LocalReply): void {
    if (t.settled) return;
    this.settle(t);
    // Refused after the breaker let it through (overflow, our own error): not the upstream's
    // doing, and a half-open breaker must get its probe slot back or it would never close.
    if (t.holdsBreaker) {
      t.holdsBreaker = false;
      t.route!.breaker!.onIgnored();
    }
    t.upstream?.destroy();
    t.flags = t.flags === '' ? r.flag : `${t.flags},${r.flag}`;
    t.status = r.status;
    if (t.requestId === '') t.requestId = requestIdFor(req.headers['x-request-id'], false, this.services.requestIds);
    const route = t.route?.name ?? '-';
    this.services.metrics.localReply(route, r.flag);
    this.services.metrics.request(route, r.status, (performance.now() - t.startedAt) / 1000, r.flag === 'DG');
    let headText = `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(r.body)}\r\n`;
    if (r.headers) for (const [k, v] of Object.entries(r.headers)) if (k !== 'connection') headText += `${k}: ${v}\r\n`;
    if (t.requestId !== '') headText += `x-request-id: ${t.requestId}\r\n`;
    if (t.client.writable) t.client.end(`${headText}connection: close\r\n\r\n${r.body}`);
    else t.client.destroy();
  }

  /** Ends a tunnel (either side closed or failed): both sockets go, the connection slot comes back. */
  private close(t: Tunnel): void {
    if (!this.open.delete(t)) return;
    if (!t.settled) {
      // The client left during the handshake: not the host's fault, nothing recorded against it.
      this.settle(t);
      t.upstream?.destroy();
      if (t.holdsBreaker) {
        t.holdsBreaker = false;
        t.route!.breaker!.onIgnored();
      }
      t.flags = t.flags === '' ? 'DC' : `${t.flags},DC`;
    }
    t.client.destroy();
    t.upstreamSocket?.destroy();
    if (t.holdsConnection) {
      t.holdsConnection = false;
      t.limits!.releaseConnection();
    }
    this.log(t);
  }

  /** One access-log line per upgrade, when it ends (a refusal's when its reply is out). */
  private log(t: Tunnel): void {
    const r = t.req;
    const sock = t.client as Duplex & { bytesRead?: number; bytesWritten?: number };
    this.accessLog.upgrade({
      method: r.method ?? '',
      path: (r.url ?? '').split('?', 1)[0]!,
      status: t.status,
      route: t.route?.name ?? null,
      cluster: t.cluster?.name ?? null,
      host: t.host?.id ?? null,
      flags: t.flags === '' ? '-' : t.flags,
      upgrade: upgradeToken(r.headers.upgrade),
      request_id: t.requestId || null,
      client: r.socket.remoteAddress ?? '',
      user_agent: r.headers['user-agent'] ?? null,
      duration_ms: Math.round((performance.now() - t.startedAt) * 1000) / 1000,
      upstream_ms: t.upstreamMs >= 0 ? Math.round(t.upstreamMs * 1000) / 1000 : null,
      bytes_in: sock.bytesRead ?? 0,
      bytes_out: sock.bytesWritten ?? 0,
    });
  }

  /** End of a drain: every tunnel still open is closed (both sides), as Envoy does at its drain deadline. */
  closeAll(): void {
    for (const t of [...this.open]) this.close(t);
  }
}
