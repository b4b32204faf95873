import { readFile } from 'node:fs/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import httpProxy from '@fastify/http-proxy';
import { pino, destination, stdTimeFunctions, type Logger } from 'pino';
import {
  ConfigError,
  DEADLINE_HEADER,
  Deadline,
  DegradeReason,
  Engine,
  decideDegradation,
  degradedHeader,
  emptyDecision,
  resolveChain,
  type DegradeDecision,
  type DegradeMode,
  type TriggerSignals,
  emptyFaultDecision,
  emptyRateLimitResult,
  FailOpenLimiter,
  parseDeadlineHeader,
  systemClock,
  systemRandom,
  timerDelay,
  type KeyedRateLimiter,
  type RateLimitResult,
} from '@brownout/core';
import { loadConfigText, type GatewayConfig, type SwitchDocument } from '@brownout/core/config';
import { UpstreamDispatcher } from './proxy/upstream-dispatcher.ts';
import { RequestContext } from './proxy/request-context.ts';
import { findUpstreamFailure } from './proxy/upstream-failure.ts';
import { LOCAL_REPLIES, localErrorReply, type LocalReply } from './proxy/local-reply.ts';
import { localErrorCode } from './proxy/classify-error.ts';
import { withoutHopByHop } from './proxy/hop-by-hop.ts';
import { matchRoute } from './routing/route-matcher.ts';
import { clientAddress } from './routing/client-key.ts';
import { TrustedProxies, unmapped } from './routing/trusted-proxies.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { createAccessLog, type AccessLog } from './observability/access-log.ts';
import { createProbeFactory } from './health/probe-factory.ts';
import { createAdminServer } from './admin/admin-server.ts';
import { bind, bounded, REDIS_SHUTDOWN_MS } from './lifecycle/listen.ts';
import type { AdminSurface, ReloadResult } from './admin/admin-surface.ts';
import { SwitchStore, RedisSwitchSync, writeSwitchDocument, type WriteResult, connectRedis, type AnyRedis, FleetReporter } from '@brownout/control-plane';
import { RedisRateLimiter } from './rate-limit/redis-rate-limiter.ts';
import { REPLAYED_HEADERS, ResponseCache, type CachedResponse } from './cache/response-cache.ts';
import { hostname } from 'node:os';
import { METHODS, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { canonicalTarget, emptyTarget, type TargetRules } from './routing/request-target.ts';
import { DnsRefresher } from './discovery/dns-refresh.ts';
import { randomBytes } from 'node:crypto';
import { renderFallbackBody } from './degradation/fallback-response.ts';
import { AutomaticDegradationWatcher, automaticDegradations, type AutomaticDegradation } from './degradation/automatic-degradations.ts';

declare module 'fastify' {
  interface FastifyRequest {
    brownout: RequestContext | null;
    /** Response flag of a local reply made before routing (no context yet), e.g. `NR`. */
    brownoutFlag: string;
  }
}

export interface GatewayOptions {
  readonly config: GatewayConfig;
  /** Where SIGHUP and POST /reload read the config from. */
  readonly configPath?: string | undefined;
  /** `stdout`, `off`, or a file path. */
  readonly accessLog?: string | undefined;
  /** Admin bearer token (already resolved from `env:NAME`). */
  readonly adminToken: string;
  /** Operational log (start-up, reloads, ejections). Defaults to JSON on stderr. */
  readonly log?: Logger | undefined;
  /** The switches to enforce; an embedded store by default. */
  readonly switches?: SwitchStore | undefined;
  /** Fleet mode: switches come from (and admin writes go to) this Redis (also Sentinel/Cluster URLs ioredis accepts). */
  readonly redisUrl?: string | undefined;
  /** Where the last applied switch document is kept for restarts during a Redis outage. */
  readonly snapshotPath?: string | undefined;
  /** Full switch reconcile period in fleet mode (default 5 s). */
  readonly reconcileMs?: number | undefined;
  /** Fleet status heartbeat (default 2 s; the entry lives for three). */
  readonly heartbeatMs?: number | undefined;
}

const TEXT = 'text/plain; charset=utf-8';
/** Every method Node's HTTP parser accepts, except CONNECT (a tunnel, which this proxy does not open). */
const PROXIED_METHODS = METHODS.filter(m => m !== 'CONNECT');
/** Marks a raw request whose target was refused by `canonicalTarget` (with the reason). */
const REFUSED = Symbol('brownout.refusedTarget');
type RefusedRequest = IncomingMessage & { [REFUSED]?: string };
const NO_HEADERS: FastifyRequest['headers'] = Object.freeze({});

/**
 * A running gateway: the public proxy listener, the admin listener and the engine behind them.
 */
export class Gateway implements AdminSurface {
  engine: Engine;
  readonly metrics: GatewayMetrics;
  readonly publicApp: FastifyInstance;
  readonly adminApp: FastifyInstance;
  readonly log: Logger;
  draining = false;
  readonly switches: SwitchStore;
  readonly switchSync: RedisSwitchSync | undefined;
  /** Distributed (Redis) rate limiters by route, each bounded to 20 ms and failing open. */
  readonly distributedLimiters = new Map<string, FailOpenLimiter>();
  private readonly limiterRedis: AnyRedis | undefined;
  /** Last good responses for the `cache` mode: in-process, shared through Redis in fleet mode. */
  readonly cache: ResponseCache;
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly fleet: FleetReporter | undefined;
  private readonly automatic: AutomaticDegradationWatcher;
  private readonly startedAt = new Date().toISOString();
  private readonly dns: DnsRefresher;
  private config: GatewayConfig;
  private readonly configPath: string | undefined;
  private readonly dispatcher: UpstreamDispatcher;
  private readonly accessLog: AccessLog;
  private readonly probes = createProbeFactory();
  private trusted: TrustedProxies;
  /** Request-target canonicalisation rules from the listener config (rebuilt on reload, not per request). */
  private targetRules: TargetRules;
  /** Reused rate-limit result: admission is synchronous, so one scratch object serves every request. */
  private readonly rlScratch = emptyRateLimitResult();
  /** Reused degradation verdict and signals, for the same reason. */
  private readonly decision: DegradeDecision = emptyDecision();
  private readonly signals: TriggerSignals = { breakerOpen: false, noHealthyHost: false, ruleActive: false };
  /** Reused fault verdict and header reader: the fault roll is synchronous too. */
  private readonly faultScratch = emptyFaultDecision();
  private faultHeaders: FastifyRequest['headers'] = NO_HEADERS;
  private readonly faultHeader = (name: string): string | undefined => {
    const v = this.faultHeaders[name];
    return Array.isArray(v) ? v[0] : v;
  };

  constructor(opts: GatewayOptions) {
    this.config = opts.config;
    this.configPath = opts.configPath;
    this.log = opts.log ?? pino({ base: null, timestamp: stdTimeFunctions.isoTime }, destination(2));
    this.engine = new Engine(opts.config, { clock: systemClock, random: systemRandom, probeFactory: this.probes.factory });
    this.switches = opts.switches ?? new SwitchStore();
    this.metrics = new GatewayMetrics(() => this.engine);
    this.switchSync = opts.redisUrl
      ? new RedisSwitchSync(this.switches, {
          url: opts.redisUrl,
          snapshotPath: opts.snapshotPath,
          reconcileMs: opts.reconcileMs,
          log: this.log,
          onInvalid: () => {
            this.metrics.switchErrors.labels('redis').inc();
          },
          onRegression: () => {
            this.metrics.switchVersionRegressions.inc();
          },
        })
      : undefined;
    this.metrics.watchSwitches(this.switches, this.switchSync);
    this.switches.onChange(doc => {
      this.noteUnknownRoutes(doc);
    });
    if (opts.redisUrl) {
      // Its own connection, with no offline queue: while Redis is down a check fails at once and
      // the limiter fails open, instead of queueing requests behind a reconnect.
      this.limiterRedis = connectRedis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: n => Math.min(50 * 2 ** n, 2_000) });
      this.limiterRedis.on('error', () => undefined);
    }
    this.buildDistributedLimiters(opts.config);
    this.cache = new ResponseCache(this.limiterRedis);
    this.fleet = this.limiterRedis
      ? new FleetReporter(this.instanceId, this.limiterRedis, () => this.fleetSnapshot(), this.log, opts.heartbeatMs, () => {
          this.automatic.announceHostLoss();
        })
      : undefined;
    this.automatic = new AutomaticDegradationWatcher(() => this.engine, () => this.fleet, this.log);
    this.dns = new DnsRefresher(() => this.config, this.metrics, this.log, config => {
      this.engine.reload(config);
      this.pruneHosts();
      this.automatic.watchEngine();
    });
    this.metrics.watchLimiters(this.distributedLimiters);
    this.metrics.watchAutomatic(() => this.automaticDegradations());
    this.dispatcher = new UpstreamDispatcher(this.metrics);
    this.accessLog = createAccessLog(opts.accessLog ?? 'stdout');
    this.trusted = new TrustedProxies(opts.config.listener.trusted_proxies);
    this.targetRules = targetRulesOf(opts.config);
    this.publicApp = this.buildPublicApp();
    this.adminApp = createAdminServer(this, opts.adminToken);
    this.automatic.watchEngine();
    this.warnUnsupported(opts.config);
  }

  private pruneHosts(): void {
    this.dispatcher.prune(this.engine.clusters.values());
  }

  /** Expands host names now (and keeps refreshing them); see discovery/dns-refresh.ts. */
  refreshDns(): Promise<void> {
    return this.dns.refresh();
  }

  /** Says loudly what a config asks for that this instance cannot do, instead of ignoring it. */
  private warnUnsupported(cfg: GatewayConfig): void {
    if (this.limiterRedis) return;
    for (const r of cfg.routes) {
      if (r.rate_limit?.scope === 'distributed') {
        this.log.warn({ route: r.name }, 'rate_limit.scope "distributed" needs REDIS_URL (fleet mode): the route is not rate limited');
      }
    }
  }

  private buildDistributedLimiters(cfg: GatewayConfig): void {
    this.distributedLimiters.clear();
    if (!this.limiterRedis) return;
    for (const r of cfg.routes) {
      const rl = r.rate_limit;
      if (rl?.scope !== 'distributed') continue;
      this.distributedLimiters.set(r.name, new FailOpenLimiter(new RedisRateLimiter(this.limiterRedis, r.name, rl.token_bucket), systemClock, 20, 'open'));
    }
  }

  get currentConfig(): GatewayConfig {
    return this.config;
  }

  /** Starts health checks and both listeners; returns their bound addresses. */
  async listen(): Promise<{ public: string; admin: string }> {
    await this.refreshDns();
    this.engine.start();
    await this.switchSync?.start();
    this.fleet?.start();
    const l = this.config.listener;
    const a = this.config.admin;
    const pub = await bind(this.publicApp, 'listener', l.address, l.port);
    const admin = await bind(this.adminApp, 'admin', a.address, a.port);
    return { public: pub, admin };
  }

  setDraining(on: boolean): void {
    this.draining = on;
    this.log.warn({ draining: on }, on ? 'health check failed by operator: draining' : 'health check ok: serving');
  }

  /** Validates and applies a new config; an invalid one changes nothing. */
  reload(next: GatewayConfig): ReloadResult {
    const warnings: string[] = [];
    const cur = this.config;
    // Bound sockets and the admin token cannot change without a restart: keep what is in force (so
    // /config shows what is really served) and say which fields wait for one.
    const restart: string[] = [];
    for (const f of ['address', 'port', 'max_header_bytes'] as const) if (next.listener[f] !== cur.listener[f]) restart.push(`listener.${f}`);
    for (const f of ['address', 'port', 'token'] as const) if (next.admin[f] !== cur.admin[f]) restart.push(`admin.${f}`);
    if (restart.length > 0) {
      warnings.push(`${restart.join(', ')} changed: needs a restart; the running values stay in force`);
      next = {
        ...next,
        listener: { ...next.listener, address: cur.listener.address, port: cur.listener.port, max_header_bytes: cur.listener.max_header_bytes },
        admin: cur.admin,
      };
    }
    this.pendingRestart = restart;
    const report = this.engine.reload(next);
    this.pruneHosts();
    this.trusted = new TrustedProxies(next.listener.trusted_proxies);
    this.targetRules = targetRulesOf(next);
    this.config = next;
    this.dns.forget();
    void this.dns.refresh();
    this.buildDistributedLimiters(next);
    this.automatic.watchEngine();
    this.warnUnsupported(next);
    this.log.info({ ...report, warnings }, 'config reloaded');
    return { ok: true, ...report, warnings, restart_required: restart };
  }

  async reloadFromFile(): Promise<ReloadResult> {
    if (!this.configPath) return { ok: false, issues: [{ path: '', message: 'the gateway was not started from a config file' }] };
    try {
      const next = loadConfigText(await readFile(this.configPath, 'utf8'));
      return this.reload(next);
    } catch (e) {
      const issues = e instanceof ConfigError ? e.issues : [{ path: '', message: e instanceof Error ? e.message : String(e) }];
      this.log.error({ issues }, 'config reload refused; the running config is kept');
      return { ok: false, issues };
    }
  }

  /**
   * Admin write: through Redis for the whole fleet, or into the embedded store. Refuses switches
   * for routes this gateway does not have and expiry times already past. The version is above
   * both Redis' and what this gateway enforces, so a Redis that lost its key cannot hand out a
   * version the fleet ignores. `enforced` says whether this gateway enforces the written version
   * when the call returns ("applied" means enforced; "saved" only delivered).
   */
  async writeSwitches(doc: unknown): Promise<(WriteResult & { enforced?: number }) | { ok: false; reason: 'unavailable' }> {
    const rules = { knownRoutes: this.engine.routes.map(r => r.name), now: Date.now() };
    if (!this.switchSync) return this.switches.write(doc, rules);
    try {
      const r = await writeSwitchDocument(this.switchSync.redis, doc, 'admin-api', { floor: this.switches.version, rules });
      if (!r.ok) return r;
      await this.switchSync.reconcile('write');
      return { ...r, enforced: this.switches.version };
    } catch {
      return { ok: false, reason: 'unavailable' };
    }
  }

  /** Documents that name routes this gateway lacks: said once per version, and counted (the switch is not enforced here). */
  private unknownRoutesVersion = -1;
  private noteUnknownRoutes(doc: SwitchDocument): void {
    if (doc.version === this.unknownRoutesVersion) return;
    const known = new Set(this.engine.routes.map(r => r.name));
    const unknown = [...new Set([...Object.keys(doc.routes), ...Object.keys(doc.fallbacks)])].filter(n => !known.has(n));
    if (unknown.length === 0) return;
    this.unknownRoutesVersion = doc.version;
    this.metrics.switchUnknownRoutes.inc(unknown.length);
    this.log.warn({ version: doc.version, unknown_routes: unknown, known_routes: [...known] }, 'switch document names routes this gateway does not have; those entries are not enforced here');
  }

  switchStatus(): unknown {
    const sync = this.switchSync;
    const stale = sync?.stalenessMs();
    return {
      instance: this.instanceId,
      automatic: this.automaticDegradations(),
      source: sync ? 'redis' : 'embedded',
      connected: sync ? sync.connected : null,
      stale_ms: stale === undefined ? null : Number.isFinite(stale) ? Math.round(stale) : null,
      version: this.switches.version,
      regression: sync?.regression ?? null,
      document: this.switches.document ?? null,
    };
  }

  clusterStatus(): unknown[] {
    return [...this.engine.clusters.values()].map(c => ({
      name: c.name,
      lb_policy: c.config.lb_policy,
      outlier_detection: c.outlier
        ? {
            ejections_active: c.outlier.stats.ejections_active,
            success_rate_average: c.outlier.successRateAverage,
            success_rate_ejection_threshold: c.outlier.successRateEjectionThreshold,
          }
        : null,
      limits: { default: c.limits.default.remaining(), high: c.limits.high.remaining() },
      hosts: c.hostStatuses(),
    }));
  }

  routeStatus(): unknown[] {
    return this.engine.routes.map(r => ({
      name: r.name,
      cluster: r.cluster.name,
      priority: r.config.priority,
      breaker: r.breaker ? { state: r.breaker.current, retry_after_ms: r.breaker.retryAfterMs(), ...r.breaker.stats } : null,
      rules_active: r.ruleActive(),
    }));
  }

  /** Fields changed by the last reload that wait for a restart (their old values are in force). */
  private pendingRestart: string[] = [];

  /** The config in force, token redacted, plus the fields a reload changed that need a restart. */
  redactedConfig(): unknown {
    return {
      ...this.config,
      admin: { ...this.config.admin, token: this.config.admin.token === undefined ? undefined : '[redacted]' },
      restart_required: this.pendingRestart,
    };
  }

  /** Graceful shutdown: stop accepting, let in-flight requests finish up to `deadlineMs`, close pools. */
  async close(deadlineMs = 10_000): Promise<void> {
    this.draining = true;
    const force = setTimeout(() => {
      this.publicApp.server.closeAllConnections();
    }, deadlineMs);
    force.unref();
    await this.publicApp.close();
    clearTimeout(force);
    await this.adminApp.close();
    this.dns.stop();
    this.engine.stop();
    // Redis may be unreachable: shutdown never waits on it for more than a short bound.
    await bounded(Promise.all([this.switchSync?.stop(), this.fleet?.stop()]), REDIS_SHUTDOWN_MS);
    this.switchSync?.redis.disconnect();
    this.limiterRedis?.disconnect();
    await this.dispatcher.close();
    await this.probes.close();
    this.accessLog.flush();
  }

  /** Routes automatically degraded right now on this instance, and why. */
  automaticDegradations(): AutomaticDegradation[] {
    return automaticDegradations(this.engine);
  }

  /** What this instance publishes for the console (see FleetReporter). */
  fleetSnapshot(): unknown {
    return {
      instance: this.instanceId,
      started_at: this.startedAt,
      heartbeat_at: new Date().toISOString(),
      draining: this.draining,
      switches_version: this.switches.version,
      automatic: this.automaticDegradations(),
      clusters: [...this.engine.clusters.values()].map(c => ({
        name: c.name,
        hosts: c.hostStatuses().map(h => ({
          address: h.address,
          port: h.port,
          health_flags: h.health_flags,
          ejected: h.ejected,
          ejected_for: h.ejected_for,
          ejection_count: h.ejection_count,
          ejection_time_left_ms: h.ejection_time_left_ms,
        })),
      })),
      routes: this.metrics.routeCounts(),
    };
  }

  private localReply(req: FastifyRequest, reply: FastifyReply, r: LocalReply): FastifyReply {
    if (req.brownout) req.brownout.addFlag(r.flag);
    else req.brownoutFlag = r.flag;
    this.metrics.localReply(req.brownout?.route.name ?? '-', r.flag);
    reply.code(r.status).type(TEXT);
    if (r.headers) reply.headers(r.headers);
    if (this.draining) reply.header('connection', 'close');
    return reply.send(r.body);
  }


  /**
   * Malformed HTTP (Node's parser refused it): a plain-text 400 (431 for oversized headers) with
   * `connection: close`, counted by flag. Never Fastify's JSON body.
   */
  private clientError(err: Error & { code?: string }, socket: Duplex): void {
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    this.metrics.localReply('-', 'DPE');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = tooLarge ? 'request headers too large' : `bad request: ${err.code ?? 'malformed HTTP'}`;
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }

  private buildPublicApp(): FastifyInstance {
    const l = this.config.listener;
    const self = this;
    const target = emptyTarget();
    const app = Fastify({
      logger: false,
      http: { maxHeaderSize: l.max_header_bytes },
      return503OnClosing: true,
      forceCloseConnections: 'idle',
      requestIdHeader: false,
      // Malformed HTTP never reaches Fastify's JSON 400: our own plain-text answer, counted.
      clientErrorHandler: (err, socket) => {
        self.clientError(err, socket);
      },
      // Before Fastify routes: the one canonical form of the target (see routing/request-target.ts).
      rewriteUrl(req) {
        const t = canonicalTarget(req.url ?? '/', self.targetRules, target);
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
      if (status >= 500) self.metrics.localError(req.brownout?.route.name ?? '-', code);
      void self.localReply(req, reply, { status, body: status >= 500 ? `gateway error before the upstream: ${code}` : `bad request: ${code}`, flag: status >= 500 ? 'LE' : 'DPE' });
    });
    app.setNotFoundHandler((req, reply) => {
      void self.localReply(req, reply, LOCAL_REPLIES.noRoute);
    });
    // Every body streams to the proxy's pass-through parser; the dispatcher buffers it under the
    // route's limit. Fastify's own text/plain parser would otherwise win and buffer unbounded.
    app.removeAllContentTypeParsers();

    app.addHook('onResponse', (req, reply, done) => {
      const ctx = req.brownout;
      const ms = reply.elapsedTime;
      const status = reply.statusCode;
      self.metrics.request(ctx?.route.name ?? '-', status, ms / 1000);
      const q = req.url.indexOf('?');
      self.accessLog.write(req.method, q < 0 ? req.url : req.url.slice(0, q), ctx ?? undefined, status, ms, req.brownoutFlag);
      if (ctx?.fault?.active) ctx.route.fault!.release(ctx.fault);
      done();
    });

    void app.register(httpProxy, {
      upstream: 'http://brownout.upstream',
      undici: this.dispatcher as never,
      // The engine owns retries; reply-from's own loop would retry GET/503 ten times.
      retryMethods: [],
      disableRequestLogging: true,
      httpMethods: PROXIED_METHODS,
      preHandler: (req, reply, done) => {
        const ctx = self.route(req, reply);
        if (!ctx) return;
        const shared = self.distributedLimiters.get(ctx.route.name);
        if (!shared) {
          self.continueAdmission(req, reply, ctx, done);
          return;
        }
        // Only a shared (Redis) limit or an injected delay makes admission asynchronous.
        self.distributedCheck(req, reply, ctx, shared).then(
          ok => {
            if (ok) self.continueAdmission(req, reply, ctx, done);
          },
          (err: unknown) => {
            done(err as Error);
          },
        );
      },
      replyOptions: {
        rewriteRequestHeaders: (req, headers) => {
          const h = headers as Record<string, unknown>;
          const ctx = req.brownout;
          if (ctx) self.dispatcher.handOff(ctx);
          // Keep the client's Host (Envoy's default) unless the route rewrites it.
          h.host = ctx?.route.config.host_rewrite ?? req.headers.host;
          // The dispatcher appends it to undici's header list (see UpstreamRequest.headerList). A
          // request without a context never gets that far: the dispatcher refuses it.
          if (ctx) {
            const xff = req.headers['x-forwarded-for'];
            ctx.forwardedFor = xff === undefined ? req.ip : `${Array.isArray(xff) ? xff.join(', ') : xff}, ${req.ip}`;
          }
          return headers;
        },
        rewriteHeaders: (headers, req) => {
          const ctx = (req as FastifyRequest | undefined)?.brownout;
          // Hop-by-hop headers describe the upstream connection, not ours (RFC 9110 §7.6.1). Copy
          // instead of `delete`: deleting turns the object into a slow dictionary for every later step.
          const out = withoutHopByHop(headers);
          if (ctx && ctx.rlLimit > 0 && ctx.route.config.rate_limit?.enable_x_ratelimit_headers === 'DRAFT_VERSION_03') setRateLimitHeaders(out, ctx);
          if (self.draining) out.connection = 'close';
          return out;
        },
        onError: (reply, { error }) => {
          const f = findUpstreamFailure(error);
          if (f) {
            const req = reply.request as FastifyRequest;
            const ctx = req.brownout;
            if (f.trigger === 'upstream' && ctx && ctx.cacheKey !== '') {
              self.staleIfError(req, reply as FastifyReply, ctx, f.reply);
              return;
            }
            if ((f.trigger === 'breaker' || f.trigger === 'no-healthy-host') && self.degradeOnFailure(req, reply as FastifyReply, f.trigger)) return;
            void self.localReply(req, reply as FastifyReply, f.reply);
            return;
          }
          // Not an upstream answer or failure we know: ours, and never blamed on a host.
          const code = localErrorCode(error);
          const req = reply.request as FastifyRequest;
          self.metrics.localError(req.brownout?.route.name ?? '-', code);
          void self.localReply(req, reply as FastifyReply, localErrorReply(code));
        },
      },
    });
    return app;
  }

  /** Routing, body limit and the local rate limit. Replies itself and returns undefined when the request stops here. */
  private route(req: FastifyRequest, reply: FastifyReply): RequestContext | undefined {
    const url = req.url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    // A refused target was rewritten to "/" (rewriteUrl cannot answer); only then look for the mark.
    if (url === '/') {
      const refused = (req.raw as RefusedRequest)[REFUSED];
      if (refused !== undefined) {
        this.localReply(req, reply, { status: 400, body: `bad request: ${refused}`, flag: 'DPE', headers: { connection: 'close' } });
        return undefined;
      }
    }
    const route = matchRoute(this.engine.routes, req.method, path, req.headers);
    if (!route) {
      this.localReply(req, reply, LOCAL_REPLIES.noRoute);
      return undefined;
    }
    const now = performance.now();
    // A caller's deadline is believed only from a trusted proxy: from anyone else it would let one
    // client cut every request short and have the timeouts charged to hosts and the breaker.
    const trustedPeer = this.trusted.size !== 0 && this.trusted.has(unmapped(req.socket.remoteAddress ?? ''));
    const incoming = trustedPeer ? req.headers[DEADLINE_HEADER] : undefined;
    const callerBudget = typeof incoming === 'string' ? parseDeadlineHeader(incoming) : undefined;
    const ctx = new RequestContext(route, now, new Deadline(now, route.config.timeout, callerBudget));
    ctx.trustedPeer = trustedPeer;
    req.brownout = ctx;
    // The exact target the upstream receives: canonical, as routed (see rewriteUrl).
    ctx.target = url;
    const cl = req.headers['content-length'];
    if (cl !== undefined && Number(cl) > route.config.max_request_body_bytes) {
      this.localReply(req, reply, LOCAL_REPLIES.payloadTooLarge);
      return undefined;
    }
    // Fastify leaves bodies of GET, HEAD, TRACE and QUERY unread; a proxy forwards what it was sent.
    const m = req.method;
    if ((m === 'GET' || m === 'HEAD' || m === 'TRACE' || m === 'QUERY') && ((cl !== undefined && cl !== '0') || req.headers['transfer-encoding'] !== undefined)) {
      ctx.rawBody = req.raw;
    }
    const limiter = route.rateLimiter;
    if (limiter && !this.rateLimit(req, reply, ctx, limiter)) return undefined;
    if ((req.method === 'GET' || req.method === 'HEAD') && usesCache(route.config)) this.prepareCache(req, ctx, path, q < 0 ? '' : url.slice(q));
    return ctx;
  }

  /** Names the cache entry of this request and arranges for a good answer to be kept. */
  private prepareCache(req: FastifyRequest, ctx: RequestContext, path: string, query: string): void {
    const c = ctx.route.config.degradation.cache;
    let vary = '';
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
      this.cache.put(ctx.route.name, ctx.cacheKey, { status, headers, body, storedAt: Date.now() }, c.max_staleness, c.ttl, c.max_entries);
    };
  }

  /** Answers from the cache, saying how old the answer is. */
  private serveCached(reply: FastifyReply, e: CachedResponse, d: DegradeDecision, ctx: RequestContext): void {
    ctx.degradedMode = 'cache';
    ctx.degradeReason = d.reason;
    ctx.addFlag('DG');
    this.metrics.degraded.labels(ctx.route.name, 'cache', d.reason, 'false').inc();
    reply
      .code(e.status)
      .headers(e.headers)
      .header('age', String(Math.max(0, Math.floor((Date.now() - e.storedAt) / 1000))))
      .header('x-brownout-degraded', degradedHeader(d, 'cache'));
    if (this.draining) reply.header('connection', 'close');
    void reply.send(e.body);
  }

  /** Faults and degradation, then on to the upstream (after an injected delay, if one fired). */
  private continueAdmission(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, done: (err?: Error) => void): void {
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
    const q = req.url.indexOf('?');
    const r = this.degradeIfSwitched(req, reply, ctx, q < 0 ? req.url : req.url.slice(0, q));
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

  /** The shared limit: one Redis round trip, at most 20 ms, failing open. */
  private async distributedCheck(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, limiter: FailOpenLimiter): Promise<boolean> {
    const r = await limiter.check(this.clientKey(req, ctx), 1);
    if (r.limit === 0) return true; // failed open: no figures to report
    return this.applyRateLimit(req, reply, ctx, r, 'rate_limited');
  }

  /** The rate-limit key of a request: a header's value, or the client address (XFF from trusted proxies only). */
  private clientKey(req: FastifyRequest, ctx: RequestContext): string {
    const k = ctx.route.config.rate_limit!.key;
    return k.type === 'header' ? headerKey(req.headers[k.name]) : clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.trusted);
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
    this.localReply(req, reply, { status: ctx.route.config.rate_limit!.status, body, flag: 'RL' });
    return false;
  }

  /**
   * Applies switches, level shedding and automatic triggers before the upstream. Serves the
   * degraded answer itself, or re-targets the request to the fallback cluster; in shadow mode only
   * counts. A route degraded by a rule still sends `probe_percent` of requests upstream so the rule
   * can see recovery.
   */
  private degradeIfSwitched(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, path: string): Promise<void> | undefined {
    const route = ctx.route;
    const sig = this.signals;
    const b = route.breaker?.current;
    sig.breakerOpen = b === 'open' || b === 'forced_open';
    // Only a cluster with panic disabled can have nothing to pick from (panic sends to every host).
    const hs = route.cluster.hostSet;
    sig.noHealthyHost = route.cluster.config.healthy_panic_threshold === 0 && hs.healthy.length + hs.degraded.length === 0;
    sig.ruleActive = route.rules.length > 0 && route.ruleActive();
    const d = decideDegradation(route.name, route.degradation, this.switches.state, sig, Date.now(), this.decision);
    if (d.shadow) {
      this.metrics.degraded.labels(route.name, d.mode, d.reason, 'true').inc();
      return undefined;
    }
    if (!d.degraded) return undefined;
    if (d.reason === DegradeReason.Rule && route.rules.some(r => r.active && r.shouldProbe())) return undefined;
    const cc = route.config.degradation.cache;
    if (ctx.cacheKey !== '' && this.cache.peek(route.name, ctx.cacheKey, cc.max_staleness) === undefined) {
      // Fill the in-process layer from the shared one, then decide with the same (copied) verdict.
      const verdict = { ...d };
      return this.cache.lookup(route.name, ctx.cacheKey, cc.max_staleness, cc.max_entries).then(() => {
        this.serveDegraded(req, reply, ctx, verdict, path);
      });
    }
    this.serveDegraded(req, reply, ctx, d, path);
    return undefined;
  }

  /** The upstream failed (reset, timeout, connect failure): answer with the last good response if it is fresh enough. */
  private staleIfError(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, otherwise: LocalReply): void {
    const cc = ctx.route.config.degradation.cache;
    void this.cache.lookup(ctx.route.name, ctx.cacheKey, cc.max_staleness, cc.max_entries).then(e => {
      if (reply.sent) return;
      if (e) {
        const d = emptyDecision();
        d.degraded = true;
        d.mode = 'cache';
        d.reason = DegradeReason.UpstreamError;
        d.level = this.switches.state.global_level;
        this.serveCached(reply, e, d, ctx);
      } else {
        this.localReply(req, reply, otherwise);
      }
    });
  }

  /** An upstream-side trigger fired (breaker open, no healthy host): degrade if the route wants that. */
  private degradeOnFailure(req: FastifyRequest, reply: FastifyReply, trigger: 'breaker' | 'no-healthy-host'): boolean {
    const ctx = req.brownout;
    if (!ctx || ctx.cluster !== ctx.route.cluster) return false;
    const route = ctx.route;
    const sig = this.signals;
    sig.breakerOpen = trigger === 'breaker';
    sig.noHealthyHost = trigger === 'no-healthy-host';
    sig.ruleActive = false;
    const d = decideDegradation(route.name, route.degradation, this.switches.state, sig, Date.now(), this.decision);
    if (d.shadow) {
      this.metrics.degraded.labels(route.name, d.mode, d.reason, 'true').inc();
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
    const fallback = this.switches.document?.fallbacks[route.name] ?? route.config.degradation.default_response;
    const cached = ctx.cacheKey === '' ? undefined : this.cache.peek(route.name, ctx.cacheKey, route.config.degradation.cache.max_staleness);
    const canServe = (m: DegradeMode): boolean => {
      if (m === 'default') return fallback !== undefined;
      if (m === 'cache') return cached !== undefined;
      if (m === 'fallback_service') {
        const fc = route.fallbackCluster;
        return !afterFailure && fc !== undefined && fc.hostSet.healthy.length + fc.hostSet.degraded.length > 0;
      }
      return true; // reject can always answer
    };
    const mode = resolveChain(d.mode, route.degradation.fallback_chain, canServe);
    if (mode === 'cache') {
      this.serveCached(reply, cached!, d, ctx);
      return true;
    }
    ctx.degradedMode = mode ?? 'none';
    ctx.degradeReason = d.reason;
    ctx.addFlag('DG');
    this.metrics.degraded.labels(route.name, mode ?? 'none', d.reason, 'false').inc();
    reply.header('x-brownout-degraded', degradedHeader(d, mode));
    if (mode === 'fallback_service') {
      ctx.cluster = route.fallbackCluster!;
      return false;
    }
    if (mode === 'default') {
      const f = fallback!;
      reply.code(f.status).headers(f.headers);
      if (this.draining) reply.header('connection', 'close');
      void reply.send(renderFallbackBody(f.body, path, req.method, route.name));
      return true;
    }
    if (mode === 'reject') {
      const retryAfter = Math.ceil(Math.max(route.breaker?.retryAfterMs() ?? 0, route.config.degradation.retry_after) / 1000);
      reply.header('retry-after', String(retryAfter));
      this.localReply(req, reply, { status: 503, body: `${route.name} is degraded: try again later`, flag: 'DG' });
      return true;
    }
    this.localReply(req, reply, { status: 503, body: `${route.name} is degraded and no fallback could answer`, flag: 'DG' });
    return true;
  }

  /** After an injected delay, the abort (rolled independently) may still apply. */
  private readonly afterDelay = (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const status = req.brownout?.fault?.abortStatus ?? 0;
    if (status > 0) this.abortFault(req, reply, status);
    else this.finishAdmission(req, reply, done);
  };

  private abortFault(req: FastifyRequest, reply: FastifyReply, status: number): void {
    this.localReply(req, reply, { status, body: 'fault filter abort', flag: 'FI' });
  }

  /** Local token bucket per client key; answers 429 itself and returns false when over the limit. */
  private rateLimit(req: FastifyRequest, reply: FastifyReply, ctx: RequestContext, limiter: KeyedRateLimiter): boolean {
    const r = limiter.check(this.clientKey(req, ctx), performance.now(), this.rlScratch);
    return this.applyRateLimit(req, reply, ctx, r, 'local_rate_limited');
  }
}

function targetRulesOf(cfg: GatewayConfig): TargetRules {
  return { mergeSlashes: cfg.listener.merge_slashes, escapedSlashes: cfg.listener.path_with_escaped_slashes_action };
}

function usesCache(route: GatewayConfig['routes'][number]): boolean {
  const d = route.degradation;
  return d.mode === 'cache' || d.fallback_chain.includes('cache');
}

/** Envoy's DRAFT_VERSION_03 rate-limit headers, on every response that went through a bucket. */
function setRateLimitHeaders(out: Record<string, string | string[] | undefined>, ctx: RequestContext): void {
  out['x-ratelimit-limit'] = String(ctx.rlLimit);
  out['x-ratelimit-remaining'] = String(ctx.rlRemaining);
  out['x-ratelimit-reset'] = String(ctx.rlResetS);
}

function headerKey(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  return Array.isArray(v) ? (v[0] ?? '') : v;
}
