import { ConfigError, type ConfigIssue } from '@brownout/core';
import { MAX_SWITCH_EXPIRY_MS, parseSwitchDocument, type SwitchDocument } from '@brownout/core/config';

/**
 * How far past the current version a writer may jump. Versions only grow, so one absurd version
 * (say 2^53 − 1) would make every later write stale and freeze the switches; a real writer moves
 * one step at a time.
 */
export const MAX_SWITCH_VERSION_STEP = 1_000_000;

/** What a write is checked against beyond the schema. */
export interface WriteRules {
  /** Route names the writer knows; a switch or fallback naming another route is refused. */
  readonly knownRoutes?: readonly string[] | undefined;
  /** Wall-clock now (ms), to refuse switches that have already expired. */
  readonly now: number;
}

/**
 * Checks an operator's write that the schema cannot: routes that do not exist (a typo would
 * otherwise be accepted and never enforced) and expiry times already in the past (the switch would
 * never apply) or further ahead than MAX_SWITCH_EXPIRY_MS. Each issue names its field.
 */
export function switchWriteIssues(doc: SwitchDocument, rules: WriteRules): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const known = rules.knownRoutes;
  const list = known ? known.join(', ') : '';
  for (const [name, s] of Object.entries(doc.routes)) {
    if (known && !known.includes(name)) issues.push({ path: `routes.${name}`, message: `unknown route "${name}"; known routes: ${list}` });
    if (s.expires_at !== undefined && Date.parse(s.expires_at) <= rules.now) {
      issues.push({ path: `routes.${name}.expires_at`, message: `already expired (${s.expires_at}); a switch must expire in the future` });
    } else if (s.expires_at !== undefined && Date.parse(s.expires_at) > rules.now + MAX_SWITCH_EXPIRY_MS) {
      issues.push({ path: `routes.${name}.expires_at`, message: `more than ${MAX_SWITCH_EXPIRY_MS / 86_400_000} days ahead (${s.expires_at}); omit expires_at for a switch that stays until it is removed` });
    }
  }
  if (known) {
    for (const name of Object.keys(doc.fallbacks)) {
      if (!known.includes(name)) issues.push({ path: `fallbacks.${name}`, message: `unknown route "${name}"; known routes: ${list}` });
    }
  }
  return issues;
}

export type VersionVerdict =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly reason: 'stale'; readonly current: number }
  | { readonly ok: false; readonly reason: 'invalid'; readonly issues: readonly ConfigIssue[] };

/**
 * The version a write gets. `base` is the highest version known anywhere — what Redis holds and
 * what the fleet enforces — so a Redis that lost its key cannot hand out a version the gateways
 * ignore as stale. An omitted version is `base + 1`; a given one must be above `base` and at most
 * MAX_SWITCH_VERSION_STEP above it.
 */
export function assignVersion(requested: number | undefined, base: number): VersionVerdict {
  if (requested === undefined) return { ok: true, version: base + 1 };
  if (requested <= base) return { ok: false, reason: 'stale', current: base };
  if (requested > base + MAX_SWITCH_VERSION_STEP) {
    return {
      ok: false,
      reason: 'invalid',
      issues: [{ path: 'version', message: `jumps more than ${MAX_SWITCH_VERSION_STEP} past the current version ${base}; omit it to get the next one` }],
    };
  }
  return { ok: true, version: requested };
}

/** An operator's document, parsed: `requested` is its version, undefined when it was omitted. */
export type ParsedWrite =
  | { readonly ok: true; readonly doc: SwitchDocument; readonly requested: number | undefined }
  | { readonly ok: false; readonly reason: 'invalid'; readonly issues: readonly ConfigIssue[] };

/**
 * Parses an operator's write (admin API, console): the schema, then the operator checks when
 * `rules` are given. `version` may be omitted — the writer assigns the next one.
 */
export function parseWrite(input: unknown, rules?: WriteRules): ParsedWrite {
  const omitted = typeof input === 'object' && input !== null && !Array.isArray(input) && (input as { version?: unknown }).version === undefined;
  let doc: SwitchDocument;
  try {
    doc = parseSwitchDocument(omitted ? { ...input, version: 0 } : input);
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, reason: 'invalid', issues: e.issues };
    throw e;
  }
  const issues = rules ? switchWriteIssues(doc, rules) : [];
  if (issues.length > 0) return { ok: false, reason: 'invalid', issues };
  return { ok: true, doc, requested: omitted ? undefined : doc.version };
}
