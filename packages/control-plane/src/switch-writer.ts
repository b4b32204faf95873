import type { AnyRedis } from './redis-connection.ts';
import { waitForReplicas, type ReplicaWait } from './replication.ts';
import type { ConfigIssue } from '@brownout/core';
import { MAX_SWITCH_VERSION } from '@brownout/core/config';
import { SWITCH_CHANNEL, SWITCH_KEY, SWITCH_LOG } from './redis-keys.ts';
import { CHANGE_LOG_MAX_ENTRIES } from './change-log.ts';
import { assignVersion, parseWrite, type WriteRules } from './switch-write-rules.ts';

export type WriteResult =
  | {
      readonly ok: true;
      readonly version: number;
      /**
       * With `replicas` asked for: how many replicas acknowledged the write within the wait (WAIT's
       * answer). Fewer than asked means the write is on the primary only, and a failover now could
       * lose it: callers say so rather than "applied".
       */
      readonly replicated?: number;
    }
  | { readonly ok: false; readonly reason: 'invalid'; readonly issues: readonly ConfigIssue[] }
  | { readonly ok: false; readonly reason: 'stale'; readonly current: number };

export interface WriteOptions {
  /**
   * The highest version the writer knows to be enforced (e.g. by the gateway writing): the new
   * version is above it even when Redis lost its key or went back to an older document.
   */
  readonly floor?: number | undefined;
  /** Route names and wall clock for the operator checks; omitted, only the schema applies. */
  readonly rules?: WriteRules | undefined;
  /** Actor recorded in the change log instead of the document's `updated_by` (e.g. a restore). */
  readonly logAs?: string | undefined;
  /** Wait for this many replicas to acknowledge the write (Redis `WAIT`), at most `timeoutMs`. */
  readonly replicas?: ReplicaWait | undefined;
}

/**
 * Writes a switch document for the whole fleet: validated first, then, atomically, the document
 * (`SET`), an entry in the immutable change log (`XADD`) and a change notice (`PUBLISH`) in one
 * `MULTI`/`EXEC`, guarded by `WATCH` so a concurrent writer cannot slip an older version in
 * between the version check and the write. On Sentinel and Cluster, `replicas` makes the writer wait for a
 * replica's acknowledgement (`WAIT`), so a confirmed write survives the primary's failover.
 */
export async function writeSwitchDocument(redis: AnyRedis, input: unknown, actor = 'unknown', opts: WriteOptions = {}): Promise<WriteResult> {
  // An operator may omit `version`: the next one is assigned under the WATCH below.
  const w = parseWrite(input, opts.rules);
  if (!w.ok) return w;
  let doc = w.doc;
  for (let attempt = 0; attempt < 5; attempt++) {
    await redis.watch(SWITCH_KEY);
    const raw = await redis.get(SWITCH_KEY);
    const stored = raw === null ? -1 : currentVersion(raw);
    // Versions start at 1: with nothing stored anywhere the base is 0.
    const v = assignVersion(w.requested, Math.max(stored, opts.floor ?? 0, 0));
    if (!v.ok) {
      await redis.unwatch();
      return v;
    }
    doc = { ...doc, version: v.version };
    const json = JSON.stringify(doc);
    const res = await redis
      .multi()
      .set(SWITCH_KEY, json)
      .xadd(SWITCH_LOG, 'MAXLEN', '~', String(CHANGE_LOG_MAX_ENTRIES), '*', 'version', String(doc.version), 'actor', opts.logAs ?? doc.updated_by ?? actor, 'document', json)
      // The notice carries the document: subscribers apply it without another round trip.
      .publish(SWITCH_CHANNEL, json)
      .exec();
    if (res !== null) {
      if (!opts.replicas) return { ok: true, version: doc.version };
      return { ok: true, version: doc.version, replicated: await waitForReplicas(redis, SWITCH_KEY, opts.replicas) };
    }
    // Another writer changed the key after our WATCH: read again and re-check the version.
  }
  return { ok: false, reason: 'stale', current: -1 };
}

/**
 * The version of the document Redis holds; -1 when there is none or it is unusable (not JSON, no
 * version, or beyond MAX_SWITCH_VERSION), so a document nobody can read never blocks a good write.
 */
export function currentVersion(raw: string): number {
  try {
    const v = (JSON.parse(raw) as { version?: unknown }).version;
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_SWITCH_VERSION ? v : -1;
  } catch {
    return -1;
  }
}
