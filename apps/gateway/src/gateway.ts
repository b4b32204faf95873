import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino, destination, stdTimeFunctions, type Logger } from 'pino';
import { ConfigError, Engine, FailOpenLimiter, systemClock, systemRandom } from '@brownout/core';
import { loadConfigText, type GatewayConfig, type SwitchDocument } from '@brownout/core/config';
import { SwitchStore, RedisSwitchSync, writeSwitchDocument, type WriteResult, connectRedis, type AnyRedis, FleetReporter } from '@brownout/control-plane';
import { UpstreamDispatcher } from './proxy/upstream-dispatcher.ts';
import type { RequestContext } from './proxy/request-context.ts';
import { TrustedProxies } from './routing/trusted-proxies.ts';
import type { TargetRules } from './routing/request-target.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { createAccessLog, type AccessLog } from './observability/access-log.ts';
import { createProbeFactory } from './health/probe-factory.ts';
import { createAdminServer } from './admin/admin-server.ts';
import type { AdminSurface, ReloadResult } from './admin/admin-surface.ts';
import { bind, bounded, REDIS_SHUTDOWN_MS } from './lifecycle/listen.ts';
import { RedisRateLimiter } from './rate-limit/redis-rate-limiter.ts';
import { ResponseCache } from './cache/response-cache.ts';
import { DnsRefresher } from './discovery/dns-refresh.ts';
import { AutomaticDegradationWatcher, automaticDegradations, type AutomaticDegradation } from './degradation/automatic-degradations.ts';
import { DegradedAnswers } from './degradation/degraded-answers.ts';
import { Admission } from './admission/admission.ts';
import { buildPublicApp } from './public-app.ts';
import type { PipelineHost } from './pipeline-host.ts';

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


/**
 * A running gateway: the public proxy listener, the admin listener and the engine behind them.
 */
export class Gateway implements AdminSurface, PipelineHost {
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
  private readonly degraded: DegradedAnswers;
  private readonly admission: Admission;
  private readonly accessLog: AccessLog;
  private readonly probes = createProbeFactory();
  trusted: TrustedProxies;
  /** Request-target canonicalisation rules from the listener config (rebuilt on reload, not per request). */
  targetRules: TargetRules;
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
    this.degraded = new DegradedAnswers(this);
    this.admission = new Admission(this, this.degraded);
    this.publicApp = buildPublicApp(this, opts.config.listener, { admission: this.admission, degraded: this.degraded, dispatcher: this.dispatcher, accessLog: this.accessLog });
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



















}

function targetRulesOf(cfg: GatewayConfig): TargetRules {
  return { mergeSlashes: cfg.listener.merge_slashes, escapedSlashes: cfg.listener.path_with_escaped_slashes_action };
}
