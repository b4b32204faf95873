import { SWITCH_KEY, connectRedis, explainRedisError, redactRedisUrl, readChangeLog, readFleet, replicationFor, writeSwitchDocument, type AnyRedis } from '@brownout/control-plane';
import { parseSwitchDocument, type SwitchDocument } from '@brownout/core/config';
import { LinkDown, type ChangeLogEntry, type FleetRead, type GatewayLink, type SwitchWrite } from './gateway-link.ts';
import { parseInstances } from './instance-status.ts';

/** Change-log actor prefix of the console's own switch writes (already in its audit log). */
export const CONSOLE_ACTOR_PREFIX = 'console ';

/**
 * Fleet mode: switches written through the control-plane writer (validated, versioned, logged and
 * published atomically), fleet status and change log read from Redis. Commands fail at once while
 * Redis is down (no offline queue), so the console says so instead of hanging.
 */
export class RedisLink implements GatewayLink {
  readonly mode = 'fleet' as const;
  readonly target: string;
  private readonly redis: AnyRedis;
  private readonly replicas: ReturnType<typeof replicationFor>;

  constructor(url: string) {
    this.target = redactRedisUrl(url);
    // Every REDIS_URL form the gateways take (redis://, rediss://, a socket path, redis-sentinel://,
    // redis-cluster://); reconnects every 500 ms while Redis is away.
    this.replicas = replicationFor(url);
    this.redis = connectRedis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => 500 });
    // Reported through LinkDown on each call, with the last cause in words naming REDIS_URL.
    this.redis.on('error', (err: unknown) => {
      this.trouble = explainRedisError(err);
    });
    this.redis.on('ready', () => {
      this.trouble = undefined;
    });
  }

  private trouble: string | undefined;

  private unreachable(): string {
    return `Redis at ${this.target} is unreachable (${this.trouble ?? this.redis.status})`;
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    if (this.redis.status !== 'ready') throw new LinkDown(this.unreachable());
    try {
      return await f();
    } catch (e) {
      throw new LinkDown(`Redis at ${this.target}: ${explainRedisError(e)}`);
    }
  }

  async read(): Promise<FleetRead> {
    return this.guard(async () => {
      const [raw, instances] = await Promise.all([this.redis.get(SWITCH_KEY), readFleet(this.redis)]);
      let document: SwitchDocument | null = null;
      if (raw !== null) {
        try {
          document = parseSwitchDocument(JSON.parse(raw));
        } catch {
          document = null; // unreadable: the gateways keep their last good one; the board starts from empty
        }
      }
      return { document, instances: parseInstances(instances) };
    });
  }

  async write(doc: SwitchDocument, actor: string, knownRoutes: readonly string[]): Promise<SwitchWrite> {
    if (this.redis.status !== 'ready') return { ok: false, reason: 'unavailable', message: `${this.unreachable()}; nothing was written` };
    try {
      // Logged as the console's write: the timeline imports only writes made elsewhere (admin API).
      return await writeSwitchDocument(this.redis, doc, actor, { rules: { knownRoutes, now: Date.now() }, logAs: `${CONSOLE_ACTOR_PREFIX}${actor}`, replicas: this.replicas });
    } catch (e) {
      return { ok: false, reason: 'unavailable', message: `Redis at ${this.target} failed during the write (${explainRedisError(e)}); check the switch board before retrying` };
    }
  }

  async changes(afterMs: number): Promise<ChangeLogEntry[]> {
    return this.guard(async () => (await readChangeLog(this.redis, { from: afterMs, limit: 1_000 })).reverse());
  }

  close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }
}
