import type { FailureAnswers } from '../pipeline/failure-answers.ts';
import { Dispatcher, Pool } from 'undici';
import type { ClusterRuntime, Host } from '@brownout/core';
import type { RequestContext } from '../pipeline/request-context.ts';
import { UpstreamRequest } from './upstream-request.ts';
import type { LegacyHandler } from './attempt.ts';
import type { AttemptRunner, HostPool } from './attempt-runner.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { registerPoolGauge } from './pool-metrics.ts';
import { upstreamConnector } from './upstream-tls.ts';
import { RelayedAnswer } from './relayed-answer.ts';
import type { GatewayServices } from '../pipeline/gateway-services.ts';

/**
 * The undici dispatcher handed to @fastify/http-proxy (reply-from's `undici` option). reply-from
 * calls it once per client request; we turn that one call into the engine's attempts — a host
 * picked per attempt, per-try timeouts through undici's per-request headersTimeout, retries with
 * back-off on other hosts — and hand reply-from a single response to stream. This is the one piece
 * written by hand around the proxy: reply-from's own retry loop re-sends to the same URL and
 * cannot move a retry to another host.
 */
export class UpstreamDispatcher extends Dispatcher implements AttemptRunner {
  private readonly pools = new Map<Host, HostPool>();
  /** The settings each pool was built with, to notice a reload that changes them. */
  private readonly shapes = new Map<Host, string>();
  readonly metrics: GatewayMetrics;
  private closed = false;
  private next: RequestContext | undefined;

  private readonly failures: FailureAnswers;

  private readonly relay: Pick<GatewayServices, 'draining'>;

  constructor(metrics: GatewayMetrics, failures: FailureAnswers, relay: Pick<GatewayServices, 'draining'>) {
    super();
    this.metrics = metrics;
    this.failures = failures;
    this.relay = relay;
    registerPoolGauge(metrics.registry, () => this.connectionCounts());
  }

  /** Open upstream connections per cluster and host (undici's pool stats), read at scrape time. */
  private *connectionCounts(): Generator<{ cluster: string; host: string; connected: number; free: number }> {
    for (const [host, hp] of this.pools) {
      const st = hp.pool.stats;
      yield { cluster: hp.cluster, host: host.id, connected: st.connected, free: st.free };
    }
  }

  answersFailure(ctx: RequestContext): boolean {
    return this.failures.canAnswerFailure(ctx);
  }

  /**
   * Names the request the next dispatch belongs to. reply-from calls rewriteRequestHeaders and
   * then, in the same synchronous run (createRequestRetry → handleUndici → Dispatcher.request →
   * dispatch), this dispatcher, so a single slot carries the context across with nothing else in
   * between. It used to ride on the header object under a symbol key, but that key made every
   * header copy on the way (reply-from's Object.assign among them) take V8's slow path.
   */
  handOff(ctx: RequestContext): void {
    this.next = ctx;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const ctx = this.next;
    this.next = undefined;
    const legacy = handler as unknown as LegacyHandler;
    if (!ctx || this.closed) {
      legacy.onError(new Error(this.closed ? 'gateway is shutting down' : 'request reached the dispatcher without a context'));
      return false;
    }
    // The answer goes straight to the client's response; reply-from's handler only hears failures.
    new UpstreamRequest(this, ctx, opts, new RelayedAnswer(ctx, this.relay, legacy)).start();
    return true;
  }

  /** One keep-alive pool per host; the engine, not undici, balances across hosts. */
  poolFor(host: Host, cluster: ClusterRuntime): HostPool {
    let hp = this.pools.get(host);
    if (!hp) {
      const o = poolOptions(cluster);
      const tls = cluster.config.tls;
      const h2 = cluster.config.http2_protocol_options;
      const pool = new Pool(`${tls ? 'https' : 'http'}://${host.address}:${host.port}`, {
        connections: o.connections,
        // h2: one connection takes up to max_concurrent_streams requests before the pool opens another.
        pipelining: h2 ? h2.max_concurrent_streams : 1,
        // Used only when the upstream sends no Keep-Alive hint; with one (Node sends 5 s), undici
        // keeps the connection a second less than the hint, so it never races the server's close.
        keepAliveTimeout: o.idle_timeout,
        // undici's Pool builds its connector from this object: useH2c has to ride in it.
        connect: tls ? upstreamConnector(cluster.name, tls, o.connect_timeout, h2 !== undefined) : { timeout: o.connect_timeout, ...(h2 ? { useH2c: true } : {}) },
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
        // `http2_protocol_options`: h2 by ALPN over TLS (HTTP/1.1 where a host does not offer it),
        // h2c with prior knowledge in cleartext.
        ...(h2 ? { allowH2: true, maxConcurrentStreams: h2.max_concurrent_streams } : {}),
      });
      // A constant per pool: undici reconnects whenever a request's server name differs from the
      // last one's, and would take it from the client's Host header (the connector sets the real SNI).
      // With h2 a connection carries up to max_concurrent_streams requests before one waits.
      hp = { pool, connections: o.connections * (h2?.max_concurrent_streams ?? 1), cluster: cluster.name, servername: tls ? host.address : undefined };
      this.pools.set(host, hp);
      this.shapes.set(host, JSON.stringify(o));
    }
    return hp;
  }

  /**
   * After a reload: drops the pools of hosts no longer in any cluster, and of hosts whose cluster
   * now asks for other connection settings (the next request builds a new pool). Closing lets the
   * requests already on a pool finish.
   */
  prune(clusters: Iterable<ClusterRuntime>): void {
    const wanted = new Map<Host, string>();
    for (const c of clusters) {
      const shape = JSON.stringify(poolOptions(c));
      for (const h of c.hostSet.hosts) wanted.set(h, shape);
    }
    for (const [host, hp] of this.pools) {
      if (wanted.get(host) !== this.shapes.get(host)) {
        this.pools.delete(host);
        this.shapes.delete(host);
        void hp.pool.close();
      }
    }
  }

  override async close(): Promise<void> {
    this.closed = true;
    // A pool destroyed while it drains (the shutdown deadline, see destroy) is as closed as it gets.
    await Promise.all([...this.pools.values()].map(p => p.pool.close().catch(ignoreDestroyed)));
    this.pools.clear();
    this.shapes.clear();
  }

  override async destroy(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map(p => p.pool.destroy()));
    this.pools.clear();
    this.shapes.clear();
  }
}

/** The connection settings of a cluster's per-host pools. */
function poolOptions(cluster: ClusterRuntime): { connections: number; idle_timeout: number; connect_timeout: number; tls: unknown; h2: unknown } {
  const c = cluster.config;
  const maxConnections = c.circuit_breakers.thresholds.find(t => t.priority === 'default')?.max_connections ?? 1024;
  return {
    // A changed tls or http2 block (or turning one on) rebuilds the pools on reload.
    tls: c.tls ?? null,
    h2: c.http2_protocol_options ?? null,
    // Envoy's max_connections is per cluster; undici limits per origin, so split it evenly.
    connections: Math.max(1, Math.ceil(maxConnections / cluster.hostSet.hosts.length)),
    idle_timeout: c.idle_timeout,
    connect_timeout: c.connect_timeout,
  };
}

function ignoreDestroyed(e: unknown): void {
  if ((e as { code?: unknown }).code !== 'UND_ERR_DESTROYED') throw e;
}
