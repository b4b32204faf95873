import { after, before } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, until } from './wait.ts';

export const SENTINEL_MASTER = 'brownout';
/** The data nodes' password (Redis's default user): every test URL carries an ACL user and password. */
export const TEST_REDIS_PASSWORD = 'brownout-test-pw';

/**
 * A throwaway Redis Sentinel deployment on free loopback ports: a primary, one replica and three
 * sentinels (quorum 2), all Debian's `redis-server` (`--sentinel` for the sentinels), in a fresh
 * temp dir; the test stops it (register `after(() => s.stop())` at the suite level: an `after`
 * registered inside a `before` runs when that `before` ends). Failover is fast (down-after 1 s) so tests can kill the
 * primary and watch the fleet ride it out.
 */
export class TestSentinel {
  private readonly dir = mkdtempSync(join(tmpdir(), 'brownout-sentinel-'));
  private readonly procs = new Map<number, ChildProcess>();
  readonly dataPorts: number[] = [];
  readonly sentinelPorts: number[] = [];

  /** The REDIS_URL every process of the fleet uses. */
  get url(): string {
    return `redis-sentinel://default:${TEST_REDIS_PASSWORD}@${this.sentinelPorts.map(p => `127.0.0.1:${p}`).join(',')}/${SENTINEL_MASTER}`;
  }

  async start(): Promise<this> {
    const [primary, replica, ...sentinels] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    this.dataPorts.push(primary!, replica!);
    this.sentinelPorts.push(...sentinels);
    this.spawnData(primary!);
    this.spawnData(replica!, primary);
    await until('the replica in sync', 10_000, async () => {
      const c = this.direct(replica!);
      try {
        return /master_link_status:up/.test(await c.info('replication')) ? true : undefined;
      } finally {
        c.disconnect();
      }
    });
    for (const p of sentinels) {
      const conf = join(this.dir, `sentinel-${p}.conf`);
      writeFileSync(
        conf,
        [
          `port ${p}`,
          'bind 127.0.0.1',
          `dir ${this.dir}`,
          `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${primary} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER} 5000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
          `sentinel auth-pass ${SENTINEL_MASTER} ${TEST_REDIS_PASSWORD}`,
          '',
        ].join('\n'),
      );
      this.spawn(p, [conf, '--sentinel']);
    }
    // Every sentinel knows the replica and the other two: a failover can be agreed on.
    for (const p of sentinels) {
      await until(`sentinel ${p} to know the deployment`, 20_000, async () => {
        const c = this.direct(p);
        try {
          const replicas = (await c.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER)) as unknown[];
          const peers = (await c.call('SENTINEL', 'SENTINELS', SENTINEL_MASTER)) as unknown[];
          return replicas.length >= 1 && peers.length >= 2 ? true : undefined;
        } finally {
          c.disconnect();
        }
      });
    }
    return this;
  }

  /** The port of the primary the sentinels announce now. */
  async primaryPort(): Promise<number> {
    const c = this.direct(this.sentinelPorts[0]!);
    try {
      const addr = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER)) as [string, string];
      return Number(addr[1]);
    } finally {
      c.disconnect();
    }
  }

  /** SIGKILLs a node without waiting for anything (its data is gone: no persistence). */
  kill(port: number): void {
    this.procs.get(port)?.kill('SIGKILL');
    this.procs.delete(port);
  }

  /** SIGKILLs the primary and waits until the sentinels have promoted the replica. Returns the new primary's port. */
  async killPrimary(): Promise<number> {
    const old = await this.primaryPort();
    this.kill(old);
    return until('the failover', 30_000, async () => {
      const now = await this.primaryPort();
      if (now === old) return undefined;
      const c = this.direct(now);
      try {
        return /role:master/.test(await c.info('replication')) ? now : undefined;
      } finally {
        c.disconnect();
      }
    });
  }

  /**
   * Starts a killed data node again on its port, empty, as a crashed server without persistence
   * comes back; the sentinels make it a replica of the promoted primary. Waits until it is in sync.
   */
  async restart(port: number): Promise<void> {
    this.spawnData(port);
    // Up to a minute: the sentinels convert a returning old primary on their own schedule (their
    // INFO round, then a resync), which on a loaded 2-core CI machine once took over 30 s.
    await until(`node ${port} back as an in-sync replica`, 60_000, async () => {
      const c = this.direct(port);
      try {
        const info = await c.info('replication');
        return /role:slave/.test(info) && /master_link_status:up/.test(info) ? true : undefined;
      } finally {
        c.disconnect();
      }
    });
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) a data node: its connections stay open, nothing answers. */
  freeze(port: number, on: boolean): void {
    this.procs.get(port)?.kill(on ? 'SIGSTOP' : 'SIGCONT');
  }

  /** A plain connection to one node (a data node with its password), bypassing Sentinel. */
  direct(port: number): Redis {
    const password = this.sentinelPorts.includes(port) ? undefined : TEST_REDIS_PASSWORD;
    const c = new Redis({ host: '127.0.0.1', port, password, lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
    c.on('error', () => undefined);
    return c;
  }

  stop(): void {
    for (const p of this.procs.values()) {
      p.kill('SIGCONT');
      p.kill('SIGKILL');
    }
    this.procs.clear();
  }

  private spawnData(port: number, replicaOf?: number): void {
    const dir = mkdtempSync(join(this.dir, `node-${port}-`));
    this.spawn(port, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--requirepass', TEST_REDIS_PASSWORD, '--masterauth', TEST_REDIS_PASSWORD, ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : [])]);
  }

  private spawn(port: number, args: string[]): void {
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    proc.once('error', () => undefined);
    this.procs.set(port, proc);
  }
}

/** A Sentinel deployment for the enclosing suite: started before its tests, stopped after them. Call it at the suite's top level. */
export function useSentinel(): TestSentinel {
  const s = new TestSentinel();
  before(async () => {
    await s.start();
  });
  after(() => {
    s.stop();
  });
  return s;
}
