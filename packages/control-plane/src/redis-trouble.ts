/**
 * What is wrong with the Redis that `REDIS_URL` names, in words an operator can act on at 3 a.m.:
 * the setting to look at and the part of it to check. ioredis's own messages ("All sentinels are
 * unreachable", "WRONGPASS …", "Failed to refresh slots cache") are kept in parentheses. None of
 * them carries the password, and nothing here adds it.
 */
export function explainRedisError(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const msg = raw.split('\n')[0]!.slice(0, 200);
  const code = (err as { code?: unknown } | null)?.code;
  if (/WRONGPASS|invalid username-password|NOAUTH|without any password|NOPERM/i.test(msg)) return `REDIS_URL: Redis refused the credentials (${msg}); check the user and password in REDIS_URL`;
  if (/All sentinels are unreachable/i.test(msg)) return `REDIS_URL: no sentinel answered (${msg}); check the sentinel hosts and ports in REDIS_URL`;
  if (/No master|master name|ERR No such master/i.test(msg)) return `REDIS_URL: the sentinels do not know that master (${msg}); check the master name in REDIS_URL`;
  if (/slots cache|ClusterAllFailed|cluster/i.test(msg)) return `REDIS_URL: no cluster node answered (${msg}); check the node hosts and ports in REDIS_URL`;
  if (/certificate|self[- ]signed|SSL|TLS|wrong version number|EPROTO/i.test(msg)) return `REDIS_URL: TLS failed (${msg}); check rediss:// and ?ca= in REDIS_URL`;
  if (/max retries per request|Connection is closed|Stream isn't writeable/i.test(msg)) return `REDIS_URL: the connection to Redis dropped during the call (${msg.split('.')[0]!}); reconnecting`;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `REDIS_URL: cannot connect (${msg}); check the host and port in REDIS_URL`;
  return `REDIS_URL: ${msg}`;
}
