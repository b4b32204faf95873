import type { Logger } from 'pino';
import type { AnyRedis } from './redis-connection.ts';
import { INSTANCE_PREFIX, SWITCH_LOG } from './redis-keys.ts';

/** An automatic degradation starting or ending on this instance, for the shared change log. */
export interface AutoEvent {
  readonly route: string;
  readonly reason: string;
  readonly active: boolean;
}

/**
 * Publishes this gateway's view for the console: host health (ejections with reason, count, time
 * left), the switches version it enforces, automatic degradations and per-route counters, under
 * its instance id with a TTL of three heartbeats — a gone instance disappears on its own. Automatic
 * degradations are also appended to the switch change log, next to the operators' writes.
 */
export class FleetReporter {
  readonly instanceId: string;
  private readonly redis: AnyRedis;
  private readonly snapshot: () => unknown;
  private readonly heartbeatMs: number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;

  private readonly beforePublish: (() => void) | undefined;

  constructor(instanceId: string, redis: AnyRedis, snapshot: () => unknown, log: Logger, heartbeatMs = 2_000, beforePublish?: () => void) {
    this.beforePublish = beforePublish;
    this.instanceId = instanceId;
    this.redis = redis;
    this.snapshot = snapshot;
    this.log = log;
    this.heartbeatMs = heartbeatMs;
  }

  get key(): string {
    return INSTANCE_PREFIX + this.instanceId;
  }

  start(): void {
    this.timer = setInterval(() => void this.publish(), this.heartbeatMs);
    this.timer.unref();
    void this.publish();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.redis.del(this.key).catch(() => undefined);
  }

  async publish(): Promise<void> {
    this.beforePublish?.();
    try {
      await this.redis.set(this.key, JSON.stringify(this.snapshot()), 'PX', this.heartbeatMs * 3);
    } catch {
      /* Redis down: the entry expires and the console shows this instance as gone, which is true enough */
    }
  }

  announce(e: AutoEvent): void {
    this.redis
      .xadd(SWITCH_LOG, 'MAXLEN', '~', '10000', '*', 'type', 'auto', 'instance', this.instanceId, 'route', e.route, 'reason', e.reason, 'active', e.active ? '1' : '0')
      .catch(() => {
        this.log.debug({ ...e }, 'could not announce automatic degradation (Redis down)');
      });
  }
}
