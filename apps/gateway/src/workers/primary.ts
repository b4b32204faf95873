import cluster, { type Worker } from 'node:cluster';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { ACTIVE_HC_FLAGS, ConfigError, Engine, systemClock, systemRandom, type HealthChecker } from '@brownout/core';
import { loadConfigText, type GatewayConfig } from '@brownout/core/config';
import { createProbeFactory } from '../health/probe-factory.ts';
import { GatewayMetrics } from '../observability/metrics.ts';
import { ListenError } from '../lifecycle/listen.ts';
import { serverTlsOptions } from '../lifecycle/tls.ts';
import { createAdminFront } from './admin-front.ts';
import { isFromWorker, type AdminAnswer, type AdminCall, type FromWorker, type HostCheck, type SharedEjection, type ToWorker } from './messages.ts';

export interface PrimaryOptions {
  readonly config: GatewayConfig;
  readonly configPath: string;
  readonly workers: number;
  readonly log: Logger;
  readonly drainMs: number;
  /** To read and write switches on the workers' behalf (a replacement worker's carry-over). */
  readonly adminToken: string;
}

interface Pending {
  resolve(v: unknown): void;
  timer: NodeJS.Timeout;
}

const CALL_TIMEOUT_MS = 5_000;

/**
 * The primary of a multi-worker gateway (`workers: N`). It takes no traffic: it forks N workers
 * that share the public listener (node:cluster), runs the active health checks once and tells every
 * worker each verdict, relays an ejection one worker's traffic caused to the others (so a bad host
 * is out everywhere within an IPC hop), serves the admin API once (admin-front.ts), replaces a
 * worker that dies, and passes reloads and shutdown on. Envoy's split, in processes: health
 * decisions on the main thread, workers getting host updates.
 */
export class WorkerPrimary {
  private readonly opts: PrimaryOptions;
  private config: GatewayConfig;
  private readonly log: Logger;
  /** Health checks only: this engine never sees a request. */
  private readonly health: Engine;
  private readonly probes = createProbeFactory();
  private readonly watched = new WeakSet<HealthChecker>();
  private readonly checks = new Map<string, HostCheck>();
  private readonly ejections = new Map<string, { ejection: SharedEjection; at: number }>();
  private readonly pending = new Map<number, Pending>();
  private nextCall = 1;
  private stopping = false;
  private readonly listening = new Set<number>();
  private readonly metrics: GatewayMetrics;
  private readonly restarts: Counter;
  private admin: Server | undefined;
  private allListening: (() => void) | undefined;
  /** Every first worker listened: a worker saying hello now is a replacement. */
  private started = false;

  constructor(opts: PrimaryOptions) {
    this.opts = opts;
    this.config = opts.config;
    this.log = opts.log;
    this.health = new Engine(opts.config, { clock: systemClock, random: systemRandom, probeFactory: this.probes.factory });
    this.metrics = new GatewayMetrics(() => this.health);
    const registers = [this.metrics.registry];
    this.restarts = new Counter({ name: 'brownout_worker_restarts_total', help: 'Worker processes that died and were replaced', registers });
    const live = (): number => this.liveWorkers().length;
    new Gauge({
      name: 'brownout_workers',
      help: 'Worker processes serving the public listener',
      registers,
      aggregator: 'first',
      collect(this: Gauge) {
        this.set(live());
      },
    });
  }

  /** Forks the workers, starts the health checks and the admin listener; resolves once every worker listens. */
  async start(): Promise<{ public: string; admin: string }> {
    this.health.start();
    this.watchChecks();
    cluster.on('message', (w: Worker, m: unknown) => {
      if (isFromWorker(m)) this.onMessage(w, m);
    });
    cluster.on('exit', (w, code, signal) => {
      this.onExit(w, code, signal);
    });
    const a = this.config.admin;
    const ready = new Promise<void>(resolve => {
      this.allListening = resolve;
    });
    for (let i = 0; i < this.opts.workers; i++) cluster.fork();
    await ready;
    this.admin = createAdminFront({
      workerIds: () => this.liveWorkers().map(w => w.id),
      ask: (id, call) => this.ask(id, call),
      metricsOf: id => this.metricsOf(id),
      primaryMetrics: () => this.primaryMetrics(),
      ejectionOrigins: () => new Map([...this.ejections].map(([k, v]) => [k, v.ejection.worker])),
    }, a.tls ? serverTlsOptions('admin', a.tls) : undefined);
    await new Promise<void>((resolve, reject) => {
      this.admin!.once('error', e => {
        reject(new ListenError('admin.port', `admin.port: cannot listen on ${a.address}:${a.port}: ${e.message}`, e));
      });
      this.admin!.listen(a.port, a.address, resolve);
    });
    const port = (this.admin.address() as AddressInfo).port;
    const l = this.config.listener;
    return { public: `${l.tls ? 'https' : 'http'}://${l.address}:${l.port}`, admin: `${a.tls ? 'https' : 'http'}://${a.address}:${port}` };
  }

  /** SIGHUP: the file is checked here first; an invalid one changes nothing anywhere. */
  async reload(): Promise<boolean> {
    let next: GatewayConfig;
    try {
      next = loadConfigText(await readFile(this.opts.configPath, 'utf8'));
    } catch (e) {
      const issues = e instanceof ConfigError ? e.issues : [{ path: '', message: e instanceof Error ? e.message : String(e) }];
      this.log.error({ issues }, 'config reload refused; every worker keeps the running config');
      return false;
    }
    this.health.reload({ ...next, listener: this.config.listener, admin: this.config.admin, workers: this.config.workers });
    this.config = next;
    this.watchChecks();
    this.broadcast({ type: 'brownout:reload' });
    this.log.info({ workers: this.liveWorkers().length }, 'config reloaded: every worker told to reload');
    return true;
  }

  /** Drains every worker, then stops the health checks and the admin listener. */
  async stop(): Promise<void> {
    this.stopping = true;
    const exits = this.liveWorkers().map(w => new Promise<void>(resolve => w.once('exit', () => { resolve(); })));
    this.broadcast({ type: 'brownout:shutdown', drainMs: this.opts.drainMs });
    const force = setTimeout(() => {
      for (const w of this.liveWorkers()) w.kill('SIGKILL');
    }, this.opts.drainMs + 2_000);
    await Promise.all(exits);
    clearTimeout(force);
    this.health.stop();
    await this.probes.close();
    const admin = this.admin;
    if (admin) {
      await new Promise<void>(resolve => {
        admin.close(() => {
          resolve();
        });
      });
    }
  }

  private liveWorkers(): Worker[] {
    return Object.values(cluster.workers ?? {})
      .filter((w): w is Worker => w !== undefined && !w.isDead() && this.listening.has(w.id))
      .sort((a, b) => a.id - b.id);
  }

  /** Subscribes to every cluster's checker (again after a reload: a changed cluster has a new one). */
  private watchChecks(): void {
    for (const c of this.health.clusters.values()) {
      const hc = c.healthChecker;
      if (!hc || this.watched.has(hc)) continue;
      this.watched.add(hc);
      for (const h of c.hostSet.hosts) this.checks.set(`${c.name}|${h.id}`, { cluster: c.name, host: h.id, passed: false, flags: h.flags & ACTIVE_HC_FLAGS });
      hc.onResult(e => {
        const check: HostCheck = { cluster: c.name, host: e.host.id, passed: e.passed, flags: e.host.flags & ACTIVE_HC_FLAGS };
        this.checks.set(`${c.name}|${e.host.id}`, check);
        this.broadcast({ type: 'brownout:hc', check });
      });
    }
  }

  private onMessage(w: Worker, m: FromWorker): void {
    switch (m.type) {
      case 'brownout:hello': {
        // A replacement (not one of the first N): it gets the switches in force before any traffic.
        if (this.started) {
          void this.carrySwitches(w.id).finally(() => {
            this.sendSnapshot(w);
          });
          return;
        }
        this.sendSnapshot(w);
        return;
      }
      case 'brownout:listening':
        this.listening.add(w.id);
        if (this.listening.size >= this.opts.workers) {
          this.started = true;
          this.allListening?.();
          this.allListening = undefined;
        }
        return;
      case 'brownout:traffic':
        this.health.clusters.get(m.cluster)?.healthChecker?.markTraffic();
        return;
      case 'brownout:ejected': {
        const ejection: SharedEjection = { ...m.ejection, worker: w.id };
        this.ejections.set(`${ejection.cluster}|${ejection.host}`, { ejection, at: performance.now() });
        this.log.info({ cluster: ejection.cluster, host: ejection.host, type: ejection.type, worker: w.id, duration_ms: Math.round(ejection.durationMs) }, 'outlier eject shared with every worker');
        this.broadcast({ type: 'brownout:eject', ejection });
        return;
      }
      case 'brownout:unejected': {
        const key = `${m.cluster}|${m.host}`;
        if (this.ejections.get(key)?.ejection.worker !== w.id) return;
        this.ejections.delete(key);
        this.broadcast({ type: 'brownout:uneject', cluster: m.cluster, host: m.host, worker: w.id });
        return;
      }
      case 'brownout:admin-answer':
      case 'brownout:metrics-answer': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        p.resolve(m.type === 'brownout:admin-answer' ? m.answer : m.metrics);
        return;
      }
    }
  }

  private sendSnapshot(w: Worker): void {
    const now = performance.now();
    const ejections = [...this.ejections.values()]
      .map(({ ejection, at }) => ({ ...ejection, durationMs: Math.max(0, ejection.durationMs - (now - at)) }))
      .filter(e => e.durationMs > 0);
    w.send({ type: 'brownout:snapshot', checks: [...this.checks.values()], ejections } satisfies ToWorker);
  }

  /**
   * Embedded switches live in each worker: a replacement would start with none and serve normally
   * what the others degrade. It gets a live worker's document first (fleet mode needs no help: the
   * replacement reads Redis like any gateway).
   */
  private async carrySwitches(to: number): Promise<void> {
    const from = this.liveWorkers().find(x => x.id !== to);
    if (!from) return;
    const auth = { authorization: `Bearer ${this.opts.adminToken}` };
    const got = await this.ask(from.id, { method: 'GET', url: '/switches', headers: auth, body: '' });
    if (got.status !== 200) return;
    const status = JSON.parse(got.body) as { source?: string; document?: unknown };
    if (status.source !== 'embedded' || !status.document) return;
    const put = await this.ask(to, { method: 'PUT', url: '/switches', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(status.document) });
    if (put.status === 200) this.log.info({ worker: to, from: from.id }, 'replacement worker got the switches in force');
    else this.log.error({ worker: to, status: put.status, body: put.body }, 'replacement worker could not take the switches in force');
  }

  private onExit(w: Worker, code: number | null, signal: string | null): void {
    this.listening.delete(w.id);
    // Its ejections stay in force elsewhere for their time; nobody is left to lift them early.
    if (this.stopping) return;
    this.restarts.inc();
    this.log.error({ worker: w.id, pid: w.process.pid, code, signal }, 'worker died; starting a replacement');
    cluster.fork();
  }

  private broadcast(m: ToWorker): void {
    for (const w of Object.values(cluster.workers ?? {})) {
      if (w && !w.isDead() && w.isConnected()) w.send(m);
    }
  }

  private request<T>(id: number, m: ToWorker & { id: number }, timeout: T): Promise<T> {
    const w = cluster.workers?.[id];
    return new Promise(resolve => {
      if (!w || w.isDead()) {
        resolve(timeout);
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(m.id);
        resolve(timeout);
      }, CALL_TIMEOUT_MS);
      this.pending.set(m.id, { resolve: v => { resolve(v as T); }, timer });
      w.send(m);
    });
  }

  private ask(id: number, call: AdminCall): Promise<AdminAnswer> {
    const timedOut: AdminAnswer = { status: 504, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'internal', message: `worker ${id} did not answer within ${CALL_TIMEOUT_MS} ms` } }) };
    return this.request(id, { type: 'brownout:admin', id: this.nextCall++, call }, timedOut);
  }

  private metricsOf(id: number): Promise<object[]> {
    return this.request<object[]>(id, { type: 'brownout:metrics', id: this.nextCall++ }, []);
  }

  private async primaryMetrics(): Promise<object[]> {
    return this.metrics.registry.getMetricsAsJSON();
  }
}
