import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'sentinel'; readonly sentinels: { host: string; port: number }[]; readonly name: string; readonly password?: string | undefined }
  | { readonly kind: 'cluster'; readonly nodes: { host: string; port: number }[]; readonly password?: string | undefined };

function hosts(list: string, defaultPort: number): { host: string; port: number }[] {
  return list.split(',').map(h => {
    const i = h.lastIndexOf(':');
    return i < 0 ? { host: h, port: defaultPort } : { host: h.slice(0, i), port: Number(h.slice(i + 1)) };
  });
}

/**
 * `REDIS_URL` forms: `redis://…`, `rediss://…` or a unix socket path (one server);
 * `redis-sentinel://[:password@]h1:26379,h2:26379/<master-name>` (Sentinel);
 * `redis-cluster://[:password@]h1:7000,h2:7001` (Cluster). ioredis supports all three; only the
 * URL syntax for the last two is ours, since ioredis takes them as option objects.
 */
export function parseRedisTarget(url: string): RedisTarget {
  const m = /^(redis-sentinel|redis-cluster):\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m) return { kind: 'single', url };
  const password = m[2] === undefined || m[2] === '' ? undefined : decodeURIComponent(m[2]);
  if (m[1] === 'redis-sentinel') {
    if (!m[4]) throw new Error('redis-sentinel:// URLs need the master name as their path, e.g. redis-sentinel://h:26379/mymaster');
    return { kind: 'sentinel', sentinels: hosts(m[3]!, 26379), name: m[4], password };
  }
  return { kind: 'cluster', nodes: hosts(m[3]!, 6379), password };
}

/** Connects to any of the three; the options apply to every underlying connection. */
export function connectRedis(url: string, options: RedisOptions): Redis | Cluster {
  const t = parseRedisTarget(url);
  switch (t.kind) {
    case 'single':
      return new Redis(url, options);
    case 'sentinel':
      return new Redis({ ...options, sentinels: t.sentinels, name: t.name, ...(t.password !== undefined && { password: t.password }) });
    case 'cluster':
      return new Cluster(t.nodes, { redisOptions: { ...options, ...(t.password !== undefined && { password: t.password }) }, enableOfflineQueue: options.enableOfflineQueue ?? true });
  }
}

export type AnyRedis = Redis | Cluster;

/**
 * What a switch write waits for before it is confirmed: on Sentinel, one replica's acknowledgement
 * within a second (`WAIT 1 1000`), so "applied" survives a failover; a single server has no
 * replica to wait for, and on Cluster WAIT would have to reach the key's own primary (not done).
 */
export function replicationFor(url: string): { count: number; timeoutMs: number } | undefined {
  return parseRedisTarget(url).kind === 'sentinel' ? { count: 1, timeoutMs: 1_000 } : undefined;
}
