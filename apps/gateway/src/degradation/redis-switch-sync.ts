import { readFile, rename, writeFile } from 'node:fs/promises';
import { connectRedis, type AnyRedis } from './redis-connection.ts';
import type { Logger } from 'pino';
import type { SwitchStore } from './switch-store.ts';
import { SWITCH_CHANNEL, SWITCH_KEY } from './redis-keys.ts';

export interface RedisSyncOptions {
  readonly url: string;
  /** Local snapshot of the last applied document, so a restart during a Redis outage still knows the switches. */
  readonly snapshotPath?: string | undefined;
  /** Full reconcile period, on top of pub/sub; also bounds how stale a missed message can leave us. */
  readonly reconcileMs?: number | undefined;
  readonly log: Logger;
  readonly onInvalid: () => void;
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

  constructor(store: SwitchStore, opts: RedisSyncOptions) {
    this.store = store;
    this.opts = opts;
    const common = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 1_000, retryStrategy: (n: number) => Math.min(50 * 2 ** n, 2_000) };
    this.redis = connectRedis(opts.url, common);
    this.sub = connectRedis(opts.url, { ...common, enableOfflineQueue: true });
    for (const c of [this.redis, this.sub]) {
      c.on('error', () => {
        /* reconnection is ioredis's job; state is reported through `connected` and staleness */
      });
    }
    this.redis.on('ready', () => {
      this.connected = true;
      void this.reconcile('reconnect');
    });
    this.redis.on('close', () => {
      if (this.connected) opts.log.warn('switch store: Redis connection lost; last known switches stay in force');
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
    await Promise.allSettled([this.redis.connect(), this.sub.connect().then(() => this.sub.subscribe(SWITCH_CHANNEL))]);
    if (!this.connected) this.opts.log.error({ url: redact(this.opts.url) }, 'switch store: Redis unreachable at start; serving with the snapshot (if any) and retrying');
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
    if (raw === null) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      this.invalid(why, [{ path: '', message: 'not JSON' }]);
      return;
    }
    const r = this.store.apply(value);
    if (!r.ok && r.reason === 'invalid') this.invalid(why, r.issues);
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
    if (!r.ok && r.reason === 'invalid') this.invalid('notice', r.issues);
  }

  private invalid(why: string, issues: readonly { path: string; message: string }[]): void {
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
      else if (r.reason === 'invalid') this.invalid('snapshot', r.issues);
    } catch {
      this.invalid('snapshot', [{ path: '', message: 'snapshot is not JSON' }]);
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

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
