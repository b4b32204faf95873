import { readFileSync } from 'node:fs';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** Who a connection authenticates as (Redis ACL user, or the default user with a password). */
export interface RedisAuth {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

interface TlsChoice {
  /** `rediss…` scheme: TLS to every node (and to the sentinels). */
  readonly tls: boolean;
  /** `?ca=<file>`: the PEM bundle that signs the servers' certificates, instead of the system's. */
  readonly caFile?: string | undefined;
}

export type RedisTarget =
  | ({ readonly kind: 'single'; readonly url: string } & Pick<TlsChoice, 'caFile'>)
  | ({ readonly kind: 'sentinel'; readonly sentinels: { host: string; port: number }[]; readonly name: string; readonly auth: RedisAuth; readonly sentinelAuth: RedisAuth } & TlsChoice)
  | ({ readonly kind: 'cluster'; readonly nodes: { host: string; port: number }[]; readonly auth: RedisAuth } & TlsChoice);

/** A `REDIS_URL` that cannot be used; the message names the setting and never contains a password. */
export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

function hosts(list: string, defaultPort: number): { host: string; port: number }[] {
  return list.split(',').map(h => {
    const i = h.lastIndexOf(':');
    const host = i < 0 ? h : h.slice(0, i);
    const port = i < 0 ? defaultPort : Number(h.slice(i + 1));
    if (host === '' || !Number.isInteger(port) || port < 1 || port > 65_535) throw new RedisUrlError(`REDIS_URL: "${h}" is not host[:port]`);
    return { host, port };
  });
}

const decode = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : decodeURIComponent(s));

/** Takes `ca` out of a URL's query (ioredis would pass unknown query items on as options). */
function withoutCa(url: string): { url: string; caFile?: string | undefined } {
  const q = url.indexOf('?');
  if (q < 0) return { url };
  const params = new URLSearchParams(url.slice(q + 1));
  const caFile = params.get('ca') ?? undefined;
  params.delete('ca');
  const rest = params.toString();
  return { url: url.slice(0, q) + (rest === '' ? '' : `?${rest}`), caFile };
}

/**
 * `REDIS_URL` forms, each with an optional ACL user and password (`user:password@`, or `:password@`
 * for the default user) and `?ca=<file>` for a private CA:
 * - one server: `redis://…`, `rediss://…` (TLS), or a unix socket path;
 * - Sentinel: `redis-sentinel://[user:pw@]h1:26379,h2:26379/<master-name>` (`rediss-sentinel://` for TLS
 *   to the sentinels and the data nodes); the credentials are the data nodes'; sentinels that require
 *   their own take `?sentinel_username=…&sentinel_password=…`;
 * - Cluster: `redis-cluster://[user:pw@]h1:7000,h2:7001` (`rediss-cluster://` for TLS), any nodes as seeds.
 * ioredis speaks all three; only the URL syntax for the last two is ours (ioredis takes them as option objects).
 */
export function parseRedisTarget(url: string): RedisTarget {
  const m = /^(rediss?)-(sentinel|cluster):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(url);
  if (!m) {
    if (/^rediss?-(sentinel|cluster):/.test(url)) throw new RedisUrlError(`REDIS_URL: a ${url.split(':')[0]!} URL is <scheme>://[user:password@]host:port[,host:port…]${url.includes('sentinel') ? '/<master-name>' : ''}`);
    const single = withoutCa(url);
    if (single.caFile !== undefined && !/^rediss:\/\//i.test(url)) throw new RedisUrlError('REDIS_URL: ?ca= is for TLS: use rediss://');
    return { kind: 'single', ...single };
  }
  const [, scheme, kind, user, pw, list, path, query] = m;
  const params = new URLSearchParams(query ?? '');
  const tls = { tls: scheme === 'rediss', caFile: params.get('ca') ?? undefined };
  if (tls.caFile !== undefined && !tls.tls) throw new RedisUrlError(`REDIS_URL: ?ca= is for TLS: use rediss-${kind!}://`);
  const auth = { username: decode(user), password: decode(pw) };
  if (kind === 'sentinel') {
    if (!path) throw new RedisUrlError('REDIS_URL: a redis-sentinel:// URL needs the master name as its path, e.g. redis-sentinel://h:26379/mymaster');
    return {
      kind: 'sentinel',
      sentinels: hosts(list!, 26379),
      name: decodeURIComponent(path),
      auth,
      sentinelAuth: { username: params.get('sentinel_username') ?? undefined, password: params.get('sentinel_password') ?? undefined },
      ...tls,
    };
  }
  return { kind: 'cluster', nodes: hosts(list!, 6379), auth, ...tls };
}

/** The URL with any password replaced by `***`, for logs and banners. */
export function redactRedisUrl(url: string): string {
  return url.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@').replace(/([?&]sentinel_password=)[^&]*/, '$1***');
}

function tlsOptions(caFile: string | undefined): RedisOptions['tls'] {
  if (caFile === undefined) return {};
  try {
    return { ca: readFileSync(caFile) };
  } catch (err) {
    throw new RedisUrlError(`REDIS_URL: cannot read the CA file in ?ca= (${caFile}): ${(err as Error).message}`);
  }
}

const authOptions = (a: RedisAuth): RedisOptions => ({ ...(a.username !== undefined && { username: a.username }), ...(a.password !== undefined && { password: a.password }) });

/** Connects to any of the three; the options apply to every underlying connection. Throws `RedisUrlError` for an unusable URL. */
export function connectRedis(url: string, options: RedisOptions): Redis | Cluster {
  const t = parseRedisTarget(url);
  switch (t.kind) {
    case 'single':
      return new Redis(t.url, { ...options, ...(t.caFile !== undefined && { tls: tlsOptions(t.caFile) }) });
    case 'sentinel': {
      const tls = t.tls ? tlsOptions(t.caFile) : undefined;
      return new Redis({
        ...options,
        ...authOptions(t.auth),
        sentinels: t.sentinels,
        name: t.name,
        ...(t.sentinelAuth.username !== undefined && { sentinelUsername: t.sentinelAuth.username }),
        ...(t.sentinelAuth.password !== undefined && { sentinelPassword: t.sentinelAuth.password }),
        ...(tls && { tls, sentinelTLS: tls, enableTLSForSentinelMode: true }),
      });
    }
    case 'cluster': {
      const tls = t.tls ? tlsOptions(t.caFile) : undefined;
      // The cluster client has its own copies of these: without them it connects at once (and a
      // later connect() fails) and queues commands while no node answers.
      return new Cluster(t.nodes, {
        redisOptions: { ...options, ...authOptions(t.auth), ...(tls && { tls }) },
        lazyConnect: options.lazyConnect ?? false,
        enableOfflineQueue: options.enableOfflineQueue ?? true,
        ...(options.retryStrategy && { clusterRetryStrategy: options.retryStrategy }),
      });
    }
  }
}

export type AnyRedis = Redis | Cluster;
