import { after, before } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { freePort, until } from './wait.ts';
import { TEST_REDIS_PASSWORD } from './redis-sentinel.ts';

/**
 * A throwaway Redis Cluster on free loopback ports: three primaries and one replica each, Debian's
 * `redis-server` with `cluster-enabled yes`, slots assigned with `CLUSTER ADDSLOTSRANGE` and joined
 * with `CLUSTER MEET` (no redis-cli needed), in a fresh temp dir. A node can be SIGKILLed and
 * restarted on its port with its identity (`nodes.conf`) but not its data, as a crashed node
 * without persistence comes back. Failure detection is fast (cluster-node-timeout 1 s).
 */
export class TestCluster {
  private readonly dir = mkdtempSync(join(tmpdir(), 'brownout-cluster-'));
  private readonly procs = new Map<number, ChildProcess>();
  /** The three primaries as created, then their replicas. */
  readonly ports: number[] = [];

  /** The REDIS_URL every process of the fleet uses (two seed nodes: any one answering is enough). */
  get url(): string {
    return `redis-cluster://default:${TEST_REDIS_PASSWORD}@127.0.0.1:${this.ports[0]},127.0.0.1:${this.ports[1]}`;
  }

  async start(): Promise<this> {
    this.ports.push(...(await Promise.all(Array.from({ length: 6 }, () => freePort()))));
    for (const p of this.ports) this.spawnNode(p);
    await Promise.all(this.ports.map(p => until(`cluster node ${p}`, 10_000, () => this.ask(p, c => c.ping()))));
    const [a, b, c] = this.ports;
    const ranges: [number, number][] = [[0, 5460], [5461, 10922], [10923, 16383]];
    for (const [i, p] of [a!, b!, c!].entries()) await this.ask(p, n => n.call('CLUSTER', 'ADDSLOTSRANGE', String(ranges[i]![0]), String(ranges[i]![1])));
    for (const p of this.ports.slice(1)) await this.ask(p, n => n.call('CLUSTER', 'MEET', '127.0.0.1', String(a)));
    const ids = await Promise.all([a!, b!, c!].map(p => this.ask(p, n => n.call('CLUSTER', 'MYID') as Promise<string>)));
    // A replica can only be told whom to follow once it knows that node through the gossip.
    for (const [i, p] of this.ports.slice(3).entries()) {
      await until(`replica ${p} to learn its primary`, 15_000, () => this.ask(p, n => n.call('CLUSTER', 'REPLICATE', ids[i]!)));
    }
    await until('cluster_state:ok everywhere, replicas in sync', 30_000, async () => {
      for (const p of this.ports) {
        if (!(await this.ask(p, n => n.call('CLUSTER', 'INFO') as Promise<string>)).includes('cluster_state:ok')) return undefined;
      }
      for (const p of this.ports.slice(3)) {
        if (!/master_link_status:up/.test(await this.ask(p, n => n.info('replication')))) return undefined;
      }
      return true;
    });
    return this;
  }

  /** The port of the primary that serves `key` now. */
  async primaryFor(key: string): Promise<number> {
    const slot = calculateSlot(key);
    return until(`the primary of slot ${slot}`, 10_000, async () => {
      for (const p of this.procs.keys()) {
        const owner = await this.ask(p, n => n.call('CLUSTER', 'SHARDS') as Promise<unknown[]>).catch(() => undefined);
        if (!owner) continue;
        for (const shard of owner as [string, number[], string, Record<string, unknown>[]][]) {
          const slots = shard[1];
          for (let i = 0; i < slots.length; i += 2) {
            if (slot < slots[i]! || slot > slots[i + 1]!) continue;
            const primary = shard[3].map(n => flat(n)).find(n => n.role === 'master' && n.health === 'online');
            if (primary) return Number(primary.port);
          }
        }
      }
      return undefined;
    });
  }

  /** SIGKILLs a node (its data is gone: no persistence). */
  kill(port: number): void {
    this.procs.get(port)?.kill('SIGKILL');
    this.procs.delete(port);
  }

  /** Starts a killed node again on its port, with its cluster identity, and waits until it answers. */
  async restart(port: number): Promise<void> {
    this.spawnNode(port);
    await until(`cluster node ${port} back`, 10_000, () => this.ask(port, c => c.ping()));
  }

  /** Waits until every live node reports cluster_state:ok (slots all served again). */
  async healthy(ms = 30_000): Promise<void> {
    await until('cluster_state:ok', ms, async () => {
      for (const p of this.procs.keys()) {
        if (!(await this.ask(p, n => n.call('CLUSTER', 'INFO') as Promise<string>)).includes('cluster_state:ok')) return undefined;
      }
      return true;
    });
  }

  stop(): void {
    for (const p of this.procs.values()) p.kill('SIGKILL');
    this.procs.clear();
  }

  private async ask<T>(port: number, f: (c: Redis) => Promise<T>): Promise<T> {
    const c = new Redis({ host: '127.0.0.1', port, password: TEST_REDIS_PASSWORD, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return await f(c);
    } finally {
      c.disconnect();
    }
  }

  private spawnNode(port: number): void {
    const dir = join(this.dir, String(port));
    mkdirSync(dir, { recursive: true });
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000', '--requirepass', TEST_REDIS_PASSWORD, '--masterauth', TEST_REDIS_PASSWORD];
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    proc.once('error', () => undefined);
    this.procs.set(port, proc);
  }
}

/** CLUSTER SHARDS lists each node as a flat [key, value, …] array. */
function flat(n: unknown): Record<string, unknown> {
  if (!Array.isArray(n)) return n as Record<string, unknown>;
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n.length; i += 2) o[String(n[i])] = n[i + 1];
  return o;
}

/** A Redis Cluster for the enclosing suite: started before its tests, stopped after them. Call it at the suite's top level. */
export function useCluster(): TestCluster {
  const c = new TestCluster();
  before(async () => {
    await c.start();
  });
  after(() => {
    c.stop();
  });
  return c;
}
