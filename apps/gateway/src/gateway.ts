import { readFile } from 'node:fs/promises';
import type { Server as TlsServer } from 'node:tls';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino, destination, stdTimeFunctions, type Logger } from 'pino';
import { ConfigError, Engine, systemClock, systemRandom, type FailOpenLimiter } from '@brownout/core';
import { applySwitchPatch, loadConfigText, type GatewayConfig, type SwitchDocument, type SwitchPatch } from '@brownout/core/config';
import { SwitchStore, connectRedis, type AnyRedis, FleetReporter, type RedisSwitchSync } from '@brownout/control-plane';
import { SwitchControl } from './degradation/switch-control.ts';
import { UpstreamDispatcher } from './proxy/upstream-dispatcher.ts';
import type { GatewayOptions, WorkerRole } from './gateway-options.ts';
import { TrustedProxies } from './routing/trusted-proxies.ts';
import type { TargetRules } from './routing/request-target.ts';
import type { RequestIdRules } from './routing/request-id.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { registerCacheMetrics } from './cache/cache-metrics.ts';
import { registerLimiterMetrics } from './rate-limit/limiter-metrics.ts';
import { registerAutomaticDegradationGauge } from './degradation/switch-metrics.ts';
import { AbuseMetrics } from './lifecycle/abuse-metrics.ts';
import { SendTimeouts } from './lifecycle/send-timeout.ts';
import { createAccessLog, type AccessLog } from './observability/access-log.ts';
import { createProbeFactory } from './health/probe-factory.ts';
import { createAdminServer } from './admin/admin-server.ts';
import type { AdminSurface, ReloadResult, ServerInfo } from './admin/admin-surface.ts';
import { GATEWAY_VERSION } from './lifecycle/version.ts';
import { clusterStatus, fleetSnapshot, routeStatus } from './admin/status-views.ts';
import { bind } from './lifecycle/listen.ts';
import { TlsFileError, secureContextOptions, serverTlsOptions } from './lifecycle/tls.ts';
import { keepRestartFields } from './lifecycle/restart-fields.ts';
import { buildDistributedLimiters } from './rate-limit/distributed-limiters.ts';
import { ResponseCache } from './cache/response-cache.ts';
import { DnsRefresher } from './discovery/dns-refresh.ts';
import { AutomaticDegradationWatcher, automaticDegradations, type AutomaticDegradation } from './degradation/automatic-degradations.ts';
import { DegradedAnswers } from './degradation/degraded-answers.ts';
import { RequestIntake } from './pipeline/request-intake.ts';
import { buildPublicApp } from './public-app.ts';
import { UpgradeTunnels } from './upgrade/upgrade-tunnels.ts';
import type { Tracing } from './observability/tracing.ts';
import { OpenConnections } from './lifecycle/open-connections.ts';
import { guardHttp2Sessions, type StopGuard } from './lifecycle/http2-abuse.ts';
import { ClientStreams } from './lifecycle/client-streams.ts';
import { AbusiveClients } from './lifecycle/abusive-clients.ts';
import { servesHttp2 } from './lifecycle/listener-server.ts';
import type { GatewayServices } from './pipeline/gateway-services.ts';


/**
 * A running gateway: the public proxy listener, the admin listener and the engine behind them.
 */
export class Gateway implements AdminSurface, GatewayServices {
  engine: Engine;
  readonly metrics: GatewayMetrics;
  readonly publicApp: FastifyInstance;
  readonly adminApp: FastifyInstance;
  readonly log: Logger;
  draining = false;
  readonly switches: SwitchStore;
  private readonly switchControl: SwitchControl;
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
  private readonly intake: RequestIntake;
  private readonly accessLog: AccessLog;
  /** WebSocket and other upgrades, tunnelled outside the request pipeline (see UpgradeTunnels). */
  readonly tunnels: UpgradeTunnels;
  /** Built by listen() when the config has `tracing`: the SDK is loaded only then. */
  tracing: Tracing | undefined;
  private readonly spanExporter: GatewayOptions['spanExporter'];
  /** With HTTP/2 on the public listener: its sessions and sockets, which Node's h2 server does not drain itself. */
  private readonly h2Connections: OpenConnections | undefined;
  private readonly stopHttp2Guard: StopGuard | undefined;
  private readonly sendTimeouts: SendTimeouts;
  private readonly probes = createProbeFactory();
  trusted: TrustedProxies;
  /** Request-target canonicalisation rules from the listener config (rebuilt on reload, not per request). */
  targetRules: TargetRules;
  requestIds: RequestIdRules;
  readonly secure: boolean;
  /** Set in a worker process: the primary runs health checks and the admin listener. */
  readonly worker: WorkerRole | undefined;
  constructor(opts: GatewayOptions) {
    this.worker = opts.worker;
    this.config = opts.config;
    this.configPath = opts.configPath;
    this.log = opts.log ?? pino({ base: null, timestamp: stdTimeFunctions.isoTime }, destination(2));
    const w = opts.worker;
    this.engine = new Engine(opts.config, w ? { clock: systemClock, random: systemRandom, onFirstTraffic: c => { w.onFirstTraffic(c); } } : { clock: systemClock, random: systemRandom, probeFactory: this.probes.factory });
    this.switches = opts.switches ?? new SwitchStore();
    this.metrics = new GatewayMetrics(() => this.engine);
    this.switchControl = new SwitchControl(this.switches, {
      redisUrl: opts.redisUrl,
      snapshotPath: opts.snapshotPath,
      reconcileMs: opts.reconcileMs,
      log: this.log,
      registry: this.metrics.registry,
      routeNames: () => this.engine.routes.map(r => r.name),
      instanceId: this.instanceId,
      automatic: () => this.automaticDegradations(),
    });
    if (opts.redisUrl) {
      // Its own connection, with no offline queue: while Redis is down a check fails at once and
      // the limiter fails open, instead of queueing requests behind a reconnect.
      this.limiterRedis = connectRedis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: n => Math.min(50 * 2 ** n, 2_000) });
      this.limiterRedis.on('error', () => undefined);
    }
    buildDistributedLimiters(opts.config, this.limiterRedis, this.distributedLimiters, this.log);
    this.cache = new ResponseCache(this.limiterRedis);
    registerCacheMetrics(this.metrics.registry, this.cache);
    this.fleet = this.limiterRedis
      ? new FleetReporter(this.instanceId, this.limiterRedis, () => this.fleetSnapshot(), this.log, opts.heartbeatMs, () => {
          this.automatic.announceHostLoss();
        })
      : undefined;
    this.automatic = new AutomaticDegradationWatcher(() => this.engine, () => this.fleet, this.log);
    this.dns = new DnsRefresher(() => this.config, this.metrics.registry, this.log, config => {
      this.engine.reload(config);
      this.pruneHosts();
      this.automatic.watchEngine();
    });
    registerLimiterMetrics(this.metrics.registry, this.distributedLimiters);
    registerAutomaticDegradationGauge(this.metrics.registry, () => this.automaticDegradations());
    this.degraded = new DegradedAnswers(this);
    this.dispatcher = new UpstreamDispatcher(this.metrics, this.degraded, this);
    this.accessLog = createAccessLog(opts.accessLog ?? 'stdout');
    this.trusted = new TrustedProxies(opts.config.listener.trusted_proxies);
    this.targetRules = targetRulesOf(opts.config);
    this.requestIds = requestIdRulesOf(opts.config);
    this.secure = opts.config.listener.tls !== undefined;
    this.spanExporter = opts.spanExporter;
    this.intake = new RequestIntake(this, this.degraded);
    this.publicApp = buildPublicApp(this, opts.config.listener, { intake: this.intake, degraded: this.degraded, dispatcher: this.dispatcher, accessLog: this.accessLog });
    this.tunnels = new UpgradeTunnels(this, this.degraded, this.accessLog);
    // Node hands a request with `Connection: upgrade` to this listener instead of Fastify.
    this.publicApp.server.on('upgrade', this.tunnels.handle);
    this.h2Connections = servesHttp2(opts.config.listener) ? new OpenConnections(this.publicApp.server) : undefined;
    const abuseMetrics = new AbuseMetrics(this.metrics.registry);
    if (this.h2Connections) {
      const abusive = new AbusiveClients(opts.config.listener.http2_protocol_options.abusive_client_penalty, addr => this.trusted.trusts(addr));
      const h2 = opts.config.listener.http2_protocol_options;
      const perClient = new ClientStreams(h2.max_concurrent_streams_per_client, addr => this.trusted.trusts(addr));
      this.stopHttp2Guard = guardHttp2Sessions(this.publicApp.server, abusive, perClient, abuseMetrics);
    }
    // After the guard's own 'connection' listener: a connection refused at accept is not watched.
    this.sendTimeouts = new SendTimeouts(this.publicApp.server, () => this.config.listener.send_timeout, () => {
      abuseMetrics.onSendTimeout();
    });
    const adminTls = opts.config.admin.tls;
    this.adminApp = createAdminServer(this, opts.adminToken, opts.adminReadToken, adminTls && !opts.worker ? serverTlsOptions('admin', adminTls) : undefined);
    this.automatic.watchEngine();
    this.warnUnverifiedTls(opts.config);
  }

  /** `tls.verify: false` is allowed, never quiet: said at every start and reload. */
  private warnUnverifiedTls(config: GatewayConfig): void {
    for (const c of config.clusters) {
      if (c.tls && !c.tls.verify) this.log.warn({ cluster: c.name }, 'UPSTREAM TLS NOT VERIFIED (tls.verify: false): any certificate is accepted, so anyone on the path can impersonate these hosts');
    }
  }

  private pruneHosts(): void {
    this.dispatcher.prune(this.engine.clusters.values());
  }

  /** Fleet mode's Redis sync (owned by the switch control). */
  get switchSync(): RedisSwitchSync | undefined {
    return this.switchControl.sync;
  }

  get currentConfig(): GatewayConfig {
    return this.config;
  }

  /** Starts health checks and both listeners; returns their bound addresses. */
  async listen(): Promise<{ public: string; admin: string }> {
    const tc = this.config.tracing;
    if (tc) {
      const { Tracing } = await import('./observability/tracing.ts');
      this.tracing = new Tracing(tc, this.spanExporter);
    }
    await this.dns.refresh();
    this.engine.start();
    await this.switchSync?.start();
    this.fleet?.start();
    const l = this.config.listener;
    const a = this.config.admin;
    const pub = await bind(this.publicApp, 'listener', l.address, l.port);
    // A worker's admin app is reached through the primary (fastify inject over IPC), never a socket.
    const admin = this.worker ? 'primary' : await bind(this.adminApp, 'admin', a.address, a.port);
    return { public: pub, admin };
  }

  setDraining(on: boolean): void {
    this.draining = on;
    this.log.warn({ draining: on }, on ? 'health check failed by operator: draining' : 'health check ok: serving');
  }

  /**
   * Re-reads the listeners' certificates: open connections keep the context they started with,
   * new handshakes get the new one (Node's setSecureContext). Throws TlsFileError on a bad file.
   */
  private reloadCertificates(next: GatewayConfig): void {
    const pub = next.listener.tls;
    const adm = next.admin.tls;
    const pubCtx = pub && this.config.listener.tls ? secureContextOptions('listener', pub) : undefined;
    const admCtx = adm && this.config.admin.tls && !this.worker ? secureContextOptions('admin', adm) : undefined;
    if (pubCtx) (this.publicApp.server as unknown as TlsServer).setSecureContext(pubCtx);
    if (admCtx) (this.adminApp.server as unknown as TlsServer).setSecureContext(admCtx);
  }

  /** Validates and applies a new config; an invalid one changes nothing. */
  reload(next: GatewayConfig): ReloadResult {
    const warnings: string[] = [];
    const cur = this.config;
    const kept = keepRestartFields(cur, next);
    next = kept.config;
    const restart = kept.restart;
    if (restart.length > 0) warnings.push(`${restart.join(', ')} changed: needs a restart; the running values stay in force`);
    // New certificates first: a file that cannot be read refuses the whole reload.
    try {
      this.reloadCertificates(next);
    } catch (e) {
      if (!(e instanceof TlsFileError)) throw e;
      this.log.error({ field: e.field, err: e.message }, 'config reload refused; the running config is kept');
      return { ok: false, issues: [{ path: e.field, message: e.message }] };
    }
    this.pendingRestart = restart;
    const report = this.engine.reload(next);
    this.pruneHosts();
    this.trusted = new TrustedProxies(next.listener.trusted_proxies);
    this.targetRules = targetRulesOf(next);
    this.requestIds = requestIdRulesOf(next);
    this.config = next;
    this.dns.forget();
    void this.dns.refresh();
    buildDistributedLimiters(next, this.limiterRedis, this.distributedLimiters, this.log);
    this.automatic.watchEngine();
    this.warnUnverifiedTls(next);
    this.log.info({ ...report, warnings }, 'config reloaded');
    return { ok: true, ...report, warnings, restart_required: restart };
  }

  async reloadFromFile(): Promise<ReloadResult> {
    if (!this.configPath) return { ok: false, issues: [{ path: '', message: 'the gateway was not started from a config file' }] };
    try {
      const next = loadConfigText(await readFile(this.configPath, 'utf8'));
      return this.reload(this.worker ? this.worker.shareConfig(next) : next);
    } catch (e) {
      const issues = e instanceof ConfigError ? e.issues : [{ path: '', message: e instanceof Error ? e.message : String(e) }];
      this.log.error({ issues }, 'config reload refused; the running config is kept');
      return { ok: false, issues };
    }
  }

  /** Admin write (see SwitchControl.write): "applied" only when this gateway enforces it. */
  writeSwitches(doc: unknown): ReturnType<SwitchControl['write']> {
    return this.switchControl.write(doc);
  }

  patchSwitches(patch: SwitchPatch): ReturnType<SwitchControl['write']> {
    return this.switchControl.write(applySwitchPatch(this.switches.document, patch));
  }

  switchDocument(): SwitchDocument | null {
    return this.switches.document ?? null;
  }

  serverInfo(): ServerInfo {
    return {
      version: GATEWAY_VERSION,
      instance: this.instanceId,
      started_at: this.startedAt,
      uptime_ms: Math.round(Date.now() - Date.parse(this.startedAt)),
      switch_mode: this.switchControl.sync ? 'fleet' : 'embedded',
      state: this.draining ? 'draining' : 'live',
      node_version: process.version,
    };
  }

  switchStatus(): unknown {
    return this.switchControl.status();
  }

  clusterStatus(): unknown[] {
    return clusterStatus(this.engine);
  }

  routeStatus(): unknown[] {
    return routeStatus(this.engine, this.metrics);
  }

  /** What this instance publishes for the console (see FleetReporter). */
  fleetSnapshot(): unknown {
    const stale = this.switchControl.sync?.stalenessMs();
    return fleetSnapshot(this.engine, this.metrics, {
      instance: this.instanceId,
      started_at: this.startedAt,
      draining: this.draining,
      switches_version: this.switches.version,
      switches_stale_ms: stale === undefined || !Number.isFinite(stale) ? null : Math.round(stale),
      heartbeat_ms: this.fleet?.heartbeatMs ?? 2_000,
      fallbacks: this.switches.document?.fallbacks ?? {},
    });
  }

  /** Fields changed by the last reload that wait for a restart (their old values are in force). */
  private pendingRestart: string[] = [];

  /** The config in force, token redacted, plus the fields a reload changed that need a restart. */
  redactedConfig(): unknown {
    return {
      ...this.config,
      admin: {
        ...this.config.admin,
        token: this.config.admin.token === undefined ? undefined : '[redacted]',
        read_token: this.config.admin.read_token === undefined ? undefined : '[redacted]',
      },
      restart_required: this.pendingRestart,
    };
  }

  /** Graceful shutdown: stop accepting, let in-flight requests finish up to `deadlineMs`, close pools. */
  close(deadlineMs = 10_000): Promise<void> {
    // A second call (SIGTERM during a drain, a test's cleanup) waits for the first.
    return (this.closing ??= this.shutdown(deadlineMs));
  }

  private closing: Promise<void> | undefined;

  private async shutdown(deadlineMs: number): Promise<void> {
    this.draining = true;
    // Requests get until the deadline to finish; tunnels (WebSockets) too, then both sides are
    // closed — the upstream requests as well: a client cut at the deadline does not by itself
    // abort its attempt, and the pools would otherwise wait for the upstream's answer.
    const force = setTimeout(() => {
      this.tunnels.closeAll();
      if (this.h2Connections) this.h2Connections.destroyAll();
      else this.publicApp.server.closeAllConnections();
      void this.dispatcher.destroy();
    }, deadlineMs);
    this.h2Connections?.goAway();
    force.unref();
    await this.publicApp.close();
    this.sendTimeouts.close();
    this.stopHttp2Guard?.();
    await this.adminApp.close();
    this.dns.stop();
    this.engine.stop();
    // Neither waits on an unreachable Redis: the sync disconnects, the reporter's stop is bounded.
    await this.switchSync?.stop();
    await this.fleet?.stop();
    this.limiterRedis?.disconnect();
    await this.dispatcher.close();
    clearTimeout(force);
    await this.probes.close();
    await this.tracing?.shutdown().catch((e: unknown) => {
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'tracing: the last spans could not be exported');
    });
    await this.accessLog.flush();
  }

  /** Routes automatically degraded right now on this instance, and why. */
  automaticDegradations(): AutomaticDegradation[] {
    return automaticDegradations(this.engine);
  }


}

function requestIdRulesOf(cfg: GatewayConfig): RequestIdRules {
  return { generate: cfg.listener.generate_request_id, preserveExternal: cfg.listener.preserve_external_request_id };
}

function targetRulesOf(cfg: GatewayConfig): TargetRules {
  return { mergeSlashes: cfg.listener.merge_slashes, escapedSlashes: cfg.listener.path_with_escaped_slashes_action };
}
