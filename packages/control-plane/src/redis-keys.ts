/**
 * Redis names shared by every writer (console, admin API) and reader (gateways). Versioned so the
 * format can change without old and new instances misreading each other. The `{brownout}` hash
 * tag keeps the switch document and its change log in one Redis Cluster slot, so the atomic
 * write (`MULTI` … `EXEC`) also works on a cluster.
 */
export const SWITCH_KEY = '{brownout}:v1:switches';
export const SWITCH_CHANNEL = '{brownout}:v1:switches:changed';
export const SWITCH_LOG = '{brownout}:v1:switches:log';
/** Per-instance fleet status, each with a heartbeat TTL: `${INSTANCE_PREFIX}<id>`. */
export const INSTANCE_PREFIX = 'brownout:v1:instance:';
/** Shared GCRA rate-limit state: `${RATE_LIMIT_PREFIX}<route>:<key>` (written by gateways only). */
export const RATE_LIMIT_PREFIX = 'brownout:v1:rl:';
/** Shared last-good responses for the cache mode: `${CACHE_PREFIX}<route>:<method>:<path>…`. */
export const CACHE_PREFIX = 'brownout:v1:cache:';
