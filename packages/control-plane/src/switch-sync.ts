import { readFile, rename, writeFile } from 'node:fs/promises';
import { connectRedis, redactRedisUrl, type AnyRedis } from './redis-connection.ts';
import { explainRedisError } from './redis-trouble.ts';
import type { ControlPlaneLog } from './log.ts';
import type { SwitchStore } from './switch-store.ts';
import { SWITCH_CHANNEL, SWITCH_KEY } from './redis-keys.ts';
import { currentVersion, writeSwitchDocument } from './switch-writer.ts';

/** The longest a start waits for Redis before serving on the snapshot (and reconnecting behind). */
export const START_WAIT_MS = 2_000;

export interface RedisSyncOptions {
  readonly url: string;
  /** Local snapshot of the last applied document, so a restart during a Redis outage still knows the switches. */
  readonly snapshotPath?: string | undefined;
  /** Full reconcile period, on top of pub/sub; also bounds how stale a missed message can leave us. */
  readonly reconcileMs?: number | undefined;
  readonly log: ControlPlaneLog;
  readonly onInvalid: () => void;
  /** Redis held an older version than this gateway enforces (or none at all). */
  readonly onRegression?: (() => void) | undefined;
}

/** The last time Redis was found behind this gateway, for `/switches`. */
export interface SwitchRegression {
  readonly at: string;
  /** What Redis held: a version, or null when the key was gone. */
  readonly redis_version: number | null;
  readonly enforced_version: number;
  readonly action: 'republished' | 'republish_failed' | 'superseded';
}

/**
 * Keeps a gateway's switch store in step with Redis: subscribes to change notices and applies
 * them within milliseconds; reconciles the full document on start, on every reconnect and
 * periodically; ignores documents not newer than what it holds (the store refuses them). When Redis
 * is unreachable the last known switches stay in force and the staleness is reported. An invalid
 * document in Redis is logged and counted, never applied.
 */
export class RedisSwitchSync {
  readonly redis: AnyRedis;
  private readonly sub: AnyRedis;
  private readonly store: SwitchStore;
  private readonly opts: RedisSyncOptions;
  private timer: NodeJS.Timeout | undefined;
  /** `performance.now()` of the last successful read from Redis; -1 before the first. */
  lastSyncAt = -1;
  connected = false;
  /** Set once Redis has been seen behind this gateway; shown by `/switches`. */
  regression: SwitchRegression | undefined;
  /** Why Redis cannot be used, while it cannot (e.g. "REDIS_URL: Redis refused the credentials …"). */
  trouble: string | undefined;
  /** The last invalid document seen, so each is logged once rather than on every reconcile. */
  private lastInvalid = '';

  constructor(store: SwitchStore, opts: RedisSyncOptions) {
    this.store = store;
    this.opts = opts;
    const common = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 1_000, retryStrategy: (n: number) => Math.min(50 * 2 ** n, 2_000) };
    this.redis = connectRedis(opts.url, common);
    this.sub = connectRedis(opts.url, { ...common, enableOfflineQueue: true });
    for (const c of [this.redis, this.sub]) {
      // Reconnecting is ioredis's job; what went wrong is said once per distinct cause (not on
      // every retry), named after the setting to fix, and shown by `/switches`.
      c.on('error', (err: unknown) => {
        const why = explainRedisError(err);
        if (why === this.trouble) return;
        this.trouble = why;
        opts.log.error({ url: redactRedisUrl(opts.url) }, `switch store: ${why}; last known switches stay in force`);
      });
    }
    this.redis.on('ready', () => {
      this.trouble = undefined;
      this.connected = true;
      void this.reconcile('reconnect');
    });
    this.redis.on('close', () => {
      if (this.connected) opts.log.warn({}, 'switch store: Redis connection lost; last known switches stay in force');
      this.connected = false;
    });
    this.sub.on('message', (_channel: string, message: string) => {
      this.applyNotice(message);
    });
    this.store.onChange(doc => {
      void this.saveSnapshot(doc);
    });
  }

  /** Loads the snapshot, connects, subscribes and starts periodic reconciliation. Never throws on Redis trouble. */
  async start(): Promise<void> {
    await this.loadSnapshot();
    this.timer = setInterval(() => void this.reconcile('periodic'), this.opts.reconcileMs ?? 5_000);
    this.timer.unref();
    // Subscribed on every (re)connection, not once after the first connect: a Redis away at start
    // would otherwise never deliver a notice (SUBSCRIBE is idempotent).
    this.sub.on('ready', () => {
      this.sub.subscribe(SWITCH_CHANNEL).catch(() => undefined);
    });
    // Bounded: with every sentinel (or cluster node) unreachable ioredis retries inside connect()
    // and its promise never settles. The gateway starts on its snapshot; ioredis keeps trying.
    let wait: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.redis.connect(), this.sub.connect().then(() => this.sub.subscribe(SWITCH_CHANNEL))]),
      new Promise<void>(resolve => {
        wait = setTimeout(resolve, START_WAIT_MS);
        wait.unref();
      }),
    ]);
    clearTimeout(wait);
    if (!this.connected) this.opts.log.error({ url: redactRedisUrl(this.opts.url) }, 'switch store: Redis unreachable at start; serving with the snapshot (if any) and retrying');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.sub.disconnect();
    this.redis.disconnect();
    await Promise.resolve();
  }

  /** Milliseconds since the last successful read from Redis (Infinity if never). */
  stalenessMs(): number {
    return this.lastSyncAt < 0 ? Infinity : performance.now() - this.lastSyncAt;
  }

  async reconcile(why: string): Promise<void> {
    let raw: string | null;
    try {
      raw = await this.redis.get(SWITCH_KEY);
    } catch {
      return; // unreachable: keep what we have; staleness grows
    }
    this.lastSyncAt = performance.now();
    if (raw === null) {
      // The key is gone (restart without persistence, failover, FLUSHALL) while we enforce a document.
      if (this.store.document) await this.republish(why, null);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      this.invalid(why, [{ path: '', message: 'not JSON' }], raw);
      return;
    }
    const r = this.store.apply(value);
    if (!r.ok && r.reason === 'invalid') this.invalid(why, r.issues, raw);
    else if (!r.ok) {
      const held = currentVersion(raw);
      if (held < r.current) await this.republish(why, held < 0 ? null : held);
    }
  }

  /**
   * Redis went backwards: it holds an older document than the one this gateway enforces, or none.
   * The choice (documented in the README): Redis is the fleet's meeting point, not its memory, so
   * the newest document any gateway enforces wins — re-publish ours with its own version through
   * the normal guarded write. Several gateways may race; the WATCH in the writer lets the highest
   * version stand and the others find theirs stale. Adopting Redis' older document instead would
   * silently undo operators' newer decisions after a data loss.
   */
  private async republish(why: string, redisVersion: number | null): Promise<void> {
    const doc = this.store.document;
    if (!doc) return;
    const first = this.regression?.redis_version !== redisVersion || this.regression.enforced_version !== doc.version;
    this.opts.onRegression?.();
    if (first) {
      this.opts.log.error(
        { why, redis_version: redisVersion, enforced_version: doc.version },
        redisVersion === null
          ? 'switch store: the switch document is GONE from Redis (restart without persistence, failover or FLUSHALL); re-publishing the one this gateway enforces'
          : 'switch store: Redis holds an OLDER switch version than this gateway enforces (failover or restore); re-publishing the enforced one',
      );
    }
    let action: SwitchRegression['action'];
    try {
      const r = await writeSwitchDocument(this.redis, doc, 'brownout-restore', { logAs: 'brownout-restore' });
      action = r.ok ? 'republished' : 'superseded';
    } catch {
      action = 'republish_failed';
    }
    this.regression = { at: new Date().toISOString(), redis_version: redisVersion, enforced_version: doc.version, action };
    if (first) this.opts.log.warn({ action, version: doc.version }, 'switch store: restore after Redis regression');
  }

  /** A change notice carries the whole document; anything unusable falls back to a full read. */
  private applyNotice(message: string): void {
    let value: unknown;
    try {
      value = JSON.parse(message);
    } catch {
      void this.reconcile('notice');
      return;
    }
    if (typeof value !== 'object' || value === null) {
      void this.reconcile('notice');
      return;
    }
    const r = this.store.apply(value);
    if (!r.ok && r.reason === 'invalid') this.invalid('notice', r.issues, message);
    // An older document announced: Redis may have gone backwards; look, and restore if so.
    else if (!r.ok && currentVersion(message) < r.current) void this.reconcile('stale-notice');
  }

  /** Counted and logged once per distinct document: a bad document left in Redis is not news every 5 s. */
  private invalid(why: string, issues: readonly { path: string; message: string }[], raw: string): void {
    if (raw === this.lastInvalid) return;
    this.lastInvalid = raw;
    this.opts.onInvalid();
    this.opts.log.error({ why, issues }, 'switch store: invalid switch document in Redis ignored; current switches kept');
  }

  private async loadSnapshot(): Promise<void> {
    const p = this.opts.snapshotPath;
    if (!p) return;
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch {
      return;
    }
    try {
      const r = this.store.apply(JSON.parse(text));
      if (r.ok) this.opts.log.info({ version: r.version, snapshot: p }, 'switch store: loaded local snapshot');
      else if (r.reason === 'invalid') this.invalid('snapshot', r.issues, text);
    } catch {
      this.invalid('snapshot', [{ path: '', message: 'snapshot is not JSON' }], text);
    }
  }

  private async saveSnapshot(doc: unknown): Promise<void> {
    const p = this.opts.snapshotPath;
    if (!p) return;
    const tmp = `${p}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(doc));
      await rename(tmp, p); // atomic: a crash mid-write never leaves a torn snapshot
    } catch (err) {
      this.opts.log.warn({ err, snapshot: p }, 'switch store: could not write snapshot');
    }
  }
}
