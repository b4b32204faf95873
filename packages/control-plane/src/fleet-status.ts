import { Cluster } from 'ioredis';
import type { AnyRedis } from './redis-connection.ts';
import { INSTANCE_PREFIX } from './redis-keys.ts';
import { appendAutoEvent, appendHostEvent, appendInstanceEvent, type AutoEvent, type HostEvent } from './change-log.ts';
import type { ControlPlaneLog } from './log.ts';

/** The longest `FleetReporter.stop()` waits for Redis to remove the entry. */
export const STOP_WAIT_MS = 500;

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
  readonly heartbeatMs: number;
  private readonly log: ControlPlaneLog;
  private timer: NodeJS.Timeout | undefined;

  private readonly beforePublish: (() => void) | undefined;

  constructor(instanceId: string, redis: AnyRedis, snapshot: () => unknown, log: ControlPlaneLog, heartbeatMs = 2_000, beforePublish?: () => void) {
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

  private upAnnounced = false;

  start(): void {
    this.timer = setInterval(() => void this.publish(), this.heartbeatMs);
    this.timer.unref();
    void this.publish();
  }

  /**
   * Stops publishing and removes this instance's entry. Waits on Redis at most `STOP_WAIT_MS`: a
   * Redis that accepts connections but never answers must not hold up a shutdown (the entry then
   * expires by its TTL).
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    let wait: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.redis.del(this.key), appendInstanceEvent(this.redis, this.instanceId, false)]).catch(() => undefined),
      new Promise<void>(resolve => {
        wait = setTimeout(resolve, STOP_WAIT_MS);
        wait.unref();
      }),
    ]);
    clearTimeout(wait);
  }

  async publish(): Promise<void> {
    this.beforePublish?.();
    try {
      await this.redis.set(this.key, JSON.stringify(this.snapshot()), 'PX', this.heartbeatMs * 3);
      // "Up" goes to the change log with the first heartbeat Redis took, not at start: a connection
      // without an offline queue refuses commands until it is ready, and the event was lost.
      if (!this.upAnnounced) {
        this.upAnnounced = true;
        appendInstanceEvent(this.redis, this.instanceId, true).catch(() => {
          this.upAnnounced = false;
        });
      }
    } catch {
      /* Redis down: the entry expires and the console shows this instance as gone, which is true enough */
    }
  }

  /** Ejections and un-ejections go to the change log too: the console's incident timeline reads them. */
  announceHost(e: HostEvent): void {
    appendHostEvent(this.redis, this.instanceId, e).catch(() => {
      this.log.debug({ ...e }, 'could not announce host ejection (Redis down)');
    });
  }

  announce(e: AutoEvent): void {
    appendAutoEvent(this.redis, this.instanceId, e).catch(() => {
      this.log.debug({ ...e }, 'could not announce automatic degradation (Redis down)');
    });
  }
}

/** The part of an instance's published status the fleet view reads (the rest passes through). */
export interface InstanceStatus {
  readonly instance: string;
  readonly heartbeat_at?: string;
  readonly switches_version?: number;
  readonly clusters?: readonly {
    readonly name: string;
    readonly hosts: readonly { readonly address: string; readonly port: number; readonly ejected?: boolean; readonly ejected_for?: string | null }[];
  }[];
  readonly [other: string]: unknown;
}

/**
 * Every live instance's status (entries expire three heartbeats after an instance stops
 * publishing). Reads with SCAN + MGET, on every master of a Cluster; unreadable entries are skipped.
 */
export async function readFleet(redis: AnyRedis): Promise<InstanceStatus[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const out: InstanceStatus[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${INSTANCE_PREFIX}*`, 'COUNT', 200);
      cursor = next;
      if (keys.length === 0) continue;
      const values = await Promise.all(keys.map(k => node.get(k)));
      for (const v of values) {
        const s = parseStatus(v);
        if (s) out.push(s);
      }
    } while (cursor !== '0');
  }
  return out.sort((a, b) => a.instance.localeCompare(b.instance));
}

function parseStatus(raw: string | null): InstanceStatus | undefined {
  if (raw === null) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<InstanceStatus> | null;
    return v !== null && typeof v === 'object' && typeof v.instance === 'string' ? (v as InstanceStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** One host across the fleet: "ejected on N of M gateways", and by whom. */
export interface FleetHost {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  /** Instances that report this host. */
  readonly reported_by: number;
  /** Instances on which it is ejected right now, with why. */
  readonly ejected_on: readonly { readonly instance: string; readonly reason: string | null }[];
}

/** Merges host health across instances (each gateway ejects on its own traffic, as each Envoy does). */
export function mergeHostHealth(statuses: readonly InstanceStatus[]): FleetHost[] {
  const hosts = new Map<string, { cluster: string; address: string; port: number; reported_by: number; ejected_on: { instance: string; reason: string | null }[] }>();
  for (const s of statuses) {
    for (const c of s.clusters ?? []) {
      for (const h of c.hosts) {
        const key = `${c.name}\u0000${h.address}:${h.port}`;
        let m = hosts.get(key);
        if (!m) hosts.set(key, (m = { cluster: c.name, address: h.address, port: h.port, reported_by: 0, ejected_on: [] }));
        m.reported_by++;
        if (h.ejected) m.ejected_on.push({ instance: s.instance, reason: h.ejected_for ?? null });
      }
    }
  }
  return [...hosts.values()].sort((a, b) => a.cluster.localeCompare(b.cluster) || a.address.localeCompare(b.address) || a.port - b.port);
}
