import type { AnyRedis } from './redis-connection.ts';
import { ConfigError, type ConfigIssue } from '@brownout/core';
import { parseSwitchDocument, type SwitchDocument } from '@brownout/core/config';
import { SWITCH_CHANNEL, SWITCH_KEY, SWITCH_LOG } from './redis-keys.ts';

export type WriteResult =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly reason: 'invalid'; readonly issues: readonly ConfigIssue[] }
  | { readonly ok: false; readonly reason: 'stale'; readonly current: number };

/**
 * Writes a switch document for the whole fleet: validated first, then, atomically, the document
 * (`SET`), an entry in the immutable change log (`XADD`) and a change notice (`PUBLISH`) in one
 * `MULTI`/`EXEC`, guarded by `WATCH` so a concurrent writer cannot slip an older version in
 * between the version check and the write.
 */
export async function writeSwitchDocument(redis: AnyRedis, input: unknown, actor = 'unknown'): Promise<WriteResult> {
  // An operator may omit `version`: the next one is assigned under the WATCH below.
  const autoVersion = isRecord(input) && input.version === undefined;
  let doc: SwitchDocument;
  try {
    doc = parseSwitchDocument(autoVersion ? { ...input, version: 0 } : input);
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, reason: 'invalid', issues: e.issues };
    throw e;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    await redis.watch(SWITCH_KEY);
    const raw = await redis.get(SWITCH_KEY);
    const current = raw === null ? -1 : currentVersion(raw);
    if (autoVersion) doc = { ...doc, version: current + 1 };
    if (doc.version <= current) {
      await redis.unwatch();
      return { ok: false, reason: 'stale', current };
    }
    const json = JSON.stringify(doc);
    const res = await redis
      .multi()
      .set(SWITCH_KEY, json)
      .xadd(SWITCH_LOG, 'MAXLEN', '~', '10000', '*', 'version', String(doc.version), 'actor', doc.updated_by ?? actor, 'document', json)
      // The notice carries the document: subscribers apply it without another round trip.
      .publish(SWITCH_CHANNEL, json)
      .exec();
    if (res !== null) return { ok: true, version: doc.version };
    // Another writer changed the key after our WATCH: read again and re-check the version.
  }
  return { ok: false, reason: 'stale', current: -1 };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function currentVersion(raw: string): number {
  try {
    const v = (JSON.parse(raw) as { version?: unknown }).version;
    return typeof v === 'number' ? v : -1;
  } catch {
    return -1;
  }
}
