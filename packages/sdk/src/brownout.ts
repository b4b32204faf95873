import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { resolveChain, systemClock, type Clock, type DegradeDecision, type DegradeMode } from '@brownout/core';
import { connectRedis, FleetReporter, RedisSwitchSync, SwitchStore, type AnyRedis, type ControlPlaneLog } from '@brownout/control-plane';
import { Resource, type EntryFallback, type EntryOptions } from './resource.ts';

export interface BrownoutOptions {
  /** Fleet mode: the same Redis as the gateways (switches, fleet status). Without it, `switches` only. */
  readonly redisUrl?: string | undefined;
  /** This service's name, shown with its instances in the fleet status. */
  readonly service: string;
  /** Where the last applied switch document is kept, so a restart during a Redis outage still enforces it. */
  readonly snapshotPath?: string | undefined;
  readonly reconcileMs?: number | undefined;
  readonly heartbeatMs?: number | undefined;
  readonly log?: ControlPlaneLog | undefined;
  /** An embedded store to steer by hand (tests, single processes); created when omitted. */
  readonly switches?: SwitchStore | undefined;
  readonly clock?: Clock | undefined;
}

/** A degraded call with nothing to fall back to (the `reject` mode), or a failed call without a fallback. */
export class BrownoutRejected extends Error {
  readonly code = 'BROWNOUT_REJECTED';
  readonly resource: string;
  readonly reason: string;
  constructor(resource: string, reason: string, options?: ErrorOptions) {
    super(`${resource} is degraded (${reason}) and has no fallback`, options);
    this.resource = resource;
    this.reason = reason;
  }
}

const QUIET: ControlPlaneLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Switches and breakers at a service's own call sites. `entry(name, call, options)` reads the same
 * switch document as the gateways (per-name switches with expiry and shadow, the global level by
 * priority), keeps a breaker per name, and serves the fallback chain (cached last good value,
 * alternative, default) when switched, when the breaker is open, or when the call fails. The
 * switches live in memory, kept in step with Redis in the background: no call ever waits on Redis.
 */
export class Brownout {
  readonly service: string;
  readonly instanceId: string;
  readonly switches: SwitchStore;
  readonly sync: RedisSwitchSync | undefined;
  private readonly resources = new Map<string, Resource>();
  private readonly clock: Clock;
  private readonly statusRedis: AnyRedis | undefined;
  private readonly fleet: FleetReporter | undefined;

  constructor(opts: BrownoutOptions) {
    this.service = opts.service;
    this.instanceId = `sdk:${opts.service}:${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.clock = opts.clock ?? systemClock;
    this.switches = opts.switches ?? new SwitchStore();
    const log = opts.log ?? QUIET;
    if (opts.redisUrl) {
      this.sync = new RedisSwitchSync(this.switches, { url: opts.redisUrl, snapshotPath: opts.snapshotPath, reconcileMs: opts.reconcileMs, log, onInvalid: () => undefined });
      // Status writes on their own connection with no offline queue: a down Redis fails them at once.
      this.statusRedis = connectRedis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: n => Math.min(50 * 2 ** n, 2_000) });
      this.statusRedis.on('error', () => undefined);
      this.fleet = new FleetReporter(this.instanceId, this.statusRedis, () => this.status(), log, opts.heartbeatMs);
    }
  }

  /** Connects (never throws on Redis trouble: the snapshot, if any, and then nothing degraded). */
  async start(): Promise<this> {
    await this.sync?.start();
    this.fleet?.start();
    return this;
  }

  /**
   * Runs `call` unless the resource is degraded; serves the fallback chain when it is, when its
   * breaker is open, or when the call fails. Without a usable fallback a degraded call throws
   * BrownoutRejected and a failed call rethrows its error.
   */
  entry<T>(name: string, call: () => Promise<T>, opts: EntryOptions<T> = {}): Promise<T> {
    let r = this.resources.get(name);
    if (!r) {
      r = new Resource(name, opts, this.clock);
      this.resources.set(name, r);
    }
    r.stats.calls++;
    const state = this.switches.state;
    // The wall clock matters only for switch expiry: read it only when a switch names a resource.
    const d = r.decide(state, state.routes.size > 0 ? Date.now() : 0);
    if (d.shadow) {
      r.stats.shadow++; // would have degraded: counted, the call runs
    } else if (d.degraded) {
      r.stats.degraded++;
      return this.serveFallback(r, d.mode, opts.fallback, d.reason);
    }
    if (!r.breaker.tryAcquire()) return this.serveFallback(r, r.policy.degraded_mode, opts.fallback, 'breaker');
    const res = r;
    // Durations feed only a slow-call rule; without one the clock is not read.
    const timed = r.breaker.config.slow_call_duration > 0;
    const started = timed ? this.clock.now() : 0;
    return call().then(
      v => {
        res.breaker.onSuccess(timed ? this.clock.now() - started : 0);
        if (opts.fallback?.cache) {
          res.lastGood = v;
          res.hasLastGood = true;
        }
        return v;
      },
      (err: unknown) => {
        res.breaker.onFailure(timed ? this.clock.now() - started : 0);
        res.stats.failures++;
        if (!opts.fallback) throw err;
        return this.serveFallback(res, res.policy.degraded_mode, opts.fallback, 'call-failed', err);
      },
    );
  }

  /** Walks the chain from `mode` to the first fallback that can answer. */
  private serveFallback<T>(r: Resource, mode: DegradeMode, f: EntryFallback<T> | undefined, reason: DegradeDecision['reason'] | 'call-failed', cause?: unknown): Promise<T> {
    const can = (m: DegradeMode): boolean =>
      (m === 'cache' && r.hasLastGood) || (m === 'default' && f !== undefined && 'default' in f) || (m === 'fallback_service' && f?.alternative !== undefined) || m === 'reject';
    const chosen = resolveChain(mode, r.policy.fallback_chain, can);
    if (chosen === 'cache') return this.served(r, Promise.resolve(r.lastGood as T));
    if (chosen === 'default') return this.served(r, Promise.resolve(f!.default as T));
    if (chosen === 'fallback_service') return this.served(r, f!.alternative!());
    if (reason === 'call-failed') return Promise.reject(cause instanceof Error ? cause : new BrownoutRejected(r.name, reason, { cause }));
    return Promise.reject(new BrownoutRejected(r.name, reason, cause === undefined ? undefined : { cause }));
  }

  private served<T>(r: Resource, p: Promise<T>): Promise<T> {
    r.stats.fallbacks++;
    return p;
  }

  /** What this instance publishes in the fleet status, beside the gateways. */
  status(): unknown {
    return {
      instance: this.instanceId,
      kind: 'sdk',
      service: this.service,
      heartbeat_at: new Date().toISOString(),
      switches_version: this.switches.version,
      resources: [...this.resources.values()].map(r => ({
        name: r.name,
        priority: r.policy.priority,
        breaker: r.breaker.current,
        ...(r.breaker.config.type === 'RED' && { decayed_error_rate: r.breaker.decayedRate() }),
        ...r.stats,
      })),
    };
  }

  async close(): Promise<void> {
    // Neither waits on Redis for long: the sync disconnects, the reporter's stop is bounded.
    await this.sync?.stop();
    await this.fleet?.stop();
    this.statusRedis?.disconnect();
  }
}

/** Creates and starts an SDK instance: `const brownout = await connectBrownout({ redisUrl, service })`. */
export function connectBrownout(opts: BrownoutOptions): Promise<Brownout> {
  return new Brownout(opts).start();
}
