import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { parseRedisTarget, type AnyRedis } from './redis-connection.ts';

export interface ReplicaWait {
  readonly count: number;
  readonly timeoutMs: number;
}

/**
 * What a switch write waits for before it is confirmed: on Sentinel and on Cluster, one replica's
 * acknowledgement within a second (`WAIT 1 1000`), so "applied" survives a failover. A single
 * server has no replica to wait for. A Cluster run without replicas never confirms one: every write
 * says so, which is the truth there (a lost node loses it).
 */
export function replicationFor(url: string): ReplicaWait | undefined {
  return parseRedisTarget(url).kind === 'single' ? undefined : { count: 1, timeoutMs: 1_000 };
}

/**
 * `WAIT` on the connection that wrote `key`: it counts the replicas holding that connection's
 * writes. On a Cluster that is the connection to the primary serving the key's slot — ioredis
 * would send a keyless command to any node, whose answer says nothing about this write.
 */
export async function waitForReplicas(redis: AnyRedis, key: string, wait: ReplicaWait): Promise<number> {
  const args = [String(wait.count), String(wait.timeoutMs)];
  if (!(redis instanceof Cluster)) return Number(await redis.call('WAIT', ...args));
  const owner = redis.slots[calculateSlot(key)]?.[0];
  const node = redis.nodes('master').find(n => `${n.options.host ?? ''}:${String(n.options.port)}` === owner);
  return node ? Number(await node.call('WAIT', ...args)) : 0;
}
