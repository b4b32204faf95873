import type { Logger } from 'pino';
import { routesInForce, type SwitchDocument } from '@brownout/core/config';
import { RedisSwitchSync, replicationFor, writeSwitchDocument, type SwitchStore, type WriteResult } from '@brownout/control-plane';
import type { Registry } from 'prom-client';
import { SwitchMetrics } from './switch-metrics.ts';
import type { AutomaticDegradation } from './automatic-degradations.ts';

export interface SwitchControlOptions {
  /** Fleet mode: switches come from (and writes go to) this Redis; embedded without it. */
  readonly redisUrl?: string | undefined;
  readonly snapshotPath?: string | undefined;
  readonly reconcileMs?: number | undefined;
  readonly log: Logger;
  /** Where the switches' own metrics register. */
  readonly registry: Registry;
  /** The routes this gateway has (writes naming others are refused). */
  readonly routeNames: () => string[];
  readonly instanceId: string;
  readonly automatic: () => AutomaticDegradation[];
}

/**
 * This gateway's side of the switches: the store it enforces, kept in step with Redis in fleet
 * mode (control-plane's RedisSwitchSync), the admin API's writes with the operator checks, and
 * the `/switches` view. Documents naming routes this gateway lacks are logged once and counted.
 */
export class SwitchControl {
  readonly store: SwitchStore;
  readonly sync: RedisSwitchSync | undefined;
  private readonly opts: SwitchControlOptions;
  private readonly metrics: SwitchMetrics;

  constructor(store: SwitchStore, opts: SwitchControlOptions) {
    this.store = store;
    this.opts = opts;
    this.sync = opts.redisUrl
      ? new RedisSwitchSync(store, {
          url: opts.redisUrl,
          snapshotPath: opts.snapshotPath,
          reconcileMs: opts.reconcileMs,
          log: opts.log,
          onInvalid: () => {
            this.metrics.documentRefused('redis');
          },
          onRegression: () => {
            this.metrics.versionRegression();
          },
        })
      : undefined;
    this.metrics = new SwitchMetrics(opts.registry, store, this.sync);
    store.onChange(doc => {
      this.noteUnknownRoutes(doc);
    });
  }

  /**
   * Admin write: through Redis for the whole fleet, or into the embedded store. Refuses switches
   * for routes this gateway does not have and expiry times already past. The version is above
   * both Redis' and what this gateway enforces, so a Redis that lost its key cannot hand out a
   * version the fleet ignores. `enforced` says whether this gateway enforces the written version
   * when the call returns ("applied" means enforced; "saved" only delivered).
   */
  async write(doc: unknown): Promise<(WriteResult & { enforced?: number }) | { ok: false; reason: 'unavailable' }> {
    const rules = { knownRoutes: this.opts.routeNames(), now: Date.now() };
    if (!this.sync) return this.store.write(doc, rules);
    try {
      // On Sentinel the write waits for a replica's acknowledgement (WAIT), and says when none came.
      const r = await writeSwitchDocument(this.sync.redis, doc, 'admin-api', { floor: this.store.version, rules, replicas: replicationFor(this.opts.redisUrl ?? '') });
      if (!r.ok) return r;
      await this.sync.reconcile('write');
      return { ...r, enforced: this.store.version };
    } catch {
      return { ok: false, reason: 'unavailable' };
    }
  }

  /** Documents that name routes this gateway lacks: said once per version, and counted (the switch is not enforced here). */
  private unknownRoutesVersion = -1;
  private noteUnknownRoutes(doc: SwitchDocument): void {
    if (doc.version === this.unknownRoutesVersion) return;
    const known = new Set(this.opts.routeNames());
    const unknown = [...new Set([...Object.keys(doc.routes), ...Object.keys(doc.fallbacks)])].filter(n => !known.has(n));
    if (unknown.length === 0) return;
    this.unknownRoutesVersion = doc.version;
    this.metrics.unknownRoutes(unknown.length);
    this.opts.log.warn({ version: doc.version, unknown_routes: unknown, known_routes: [...known] }, 'switch document names routes this gateway does not have; those entries are not enforced here');
  }

  /**
   * `GET /switches`: the document held, where it comes from, how fresh it is, and which of its route
   * overrides are in force now — an override past its `expires_at` stays in the document (a Redis
   * that came back empty gets it re-published as it was) but is not enforced, and says so.
   */
  status(): unknown {
    const sync = this.sync;
    const stale = sync?.stalenessMs();
    const doc = this.store.document;
    const inForce = doc ? routesInForce(doc.routes, new Date()) : {};
    return {
      instance: this.opts.instanceId,
      automatic: this.opts.automatic(),
      source: sync ? 'redis' : 'embedded',
      connected: sync ? sync.connected : null,
      // Why not, in words naming the setting (REDIS_URL) and the part of it to check.
      redis_error: sync?.trouble ?? null,
      stale_ms: stale === undefined ? null : Number.isFinite(stale) ? Math.round(stale) : null,
      version: this.store.version,
      regression: sync?.regression ?? null,
      document: doc ?? null,
      routes_in_force: Object.keys(inForce),
      expired_routes: doc ? Object.keys(doc.routes).filter(r => !(r in inForce)) : [],
    };
  }
}
