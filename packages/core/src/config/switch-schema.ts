import { z } from 'zod';
import { fallbackResponseSchema } from './route-schema.ts';
import { MAX_LEVEL } from '../degradation/priority.ts';
import { DEGRADE_MODES } from '../degradation/degrade-mode.ts';

// The switch document operators write at runtime (levels, per-route overrides), and how a patch
// applies to it: the same rules for the gateway's admin API, the console and the SDK.

/**
 * The furthest ahead a switch may expire. A far-future expiry (9999-12-31) is a permanent switch
 * in disguise that a later operator reads as temporary; a switch meant to stay omits `expires_at`.
 */
export const MAX_SWITCH_EXPIRY_MS = 30 * 24 * 3_600_000;

/**
 * A ticket link rendered in the console: http(s) only, so a `javascript:` or `data:` URL can never
 * become a clickable script.
 */
export const ticketUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(500);

/** One route override in a switch document. */
export const routeSwitchSchema = z.strictObject({
  mode: z.enum([...DEGRADE_MODES, 'normal']),
  reason: z.string().min(1, 'say why').max(500),
  actor: z.string().min(1, 'say who').max(200),
  ticket: ticketUrl.optional(),
  expires_at: z.iso.datetime({ offset: true }).optional(),
  shadow: z.boolean().default(false),
});

/**
 * The switch document: what the console writes and every gateway reads. `version` only grows; a
 * gateway ignores any document older than the one it holds.
 */
/**
 * The highest switch version accepted: far beyond any real sequence of writes (one per write), far
 * below 2^53 where `version + 1` stops being a different number and every later write would look
 * stale. Writers also refuse jumps of more than MAX_SWITCH_VERSION_STEP (see the gateway's writer).
 */
export const MAX_SWITCH_VERSION = 2 ** 48;

export const switchDocumentSchema = z.strictObject({
  version: z.number().int().min(0).max(MAX_SWITCH_VERSION, `at most 2^48 (${MAX_SWITCH_VERSION}): versions grow by one per write`),
  updated_at: z.iso.datetime({ offset: true }).optional(),
  updated_by: z.string().optional(),
  global_level: z.number().int().min(0).max(MAX_LEVEL).default(0),
  global_shadow: z.boolean().default(false),
  routes: z.record(z.string().min(1), routeSwitchSchema).default({}),
  fallbacks: z.record(z.string().min(1), fallbackResponseSchema).default({}),
});

export type SwitchDocument = z.output<typeof switchDocumentSchema>;
export type SwitchDocumentInput = z.input<typeof switchDocumentSchema>;

/**
 * A change to the switch document that keeps everything it does not name (`PATCH /switches`):
 * the global level and shadow, and per route an override or `null` to remove it (the same for
 * fallbacks). A whole-document `PUT` replaces everything — `{"global_level": 1}` there drops every
 * route override, which is what this exists to avoid.
 */
export const switchPatchSchema = z.strictObject({
  global_level: z.number().int().min(0).max(MAX_LEVEL).optional(),
  global_shadow: z.boolean().optional(),
  routes: z.record(z.string().min(1), routeSwitchSchema.nullable()).optional(),
  fallbacks: z.record(z.string().min(1), fallbackResponseSchema.nullable()).optional(),
  updated_by: z.string().max(200).optional(),
});
export type SwitchPatch = z.output<typeof switchPatchSchema>;

/**
 * The route overrides still in force at `now`: an override whose `expires_at` has passed is already
 * not enforced by any gateway, so a write built on the current document drops it rather than
 * re-sending it — otherwise the writer's "already expired" check would refuse every later write
 * (an operator's next flip in an incident) until someone removed that entry by hand.
 */
export function routesInForce(routes: SwitchDocument['routes'], now: Date): SwitchDocument['routes'] {
  const t = now.getTime();
  let out: SwitchDocument['routes'] | undefined;
  for (const [name, s] of Object.entries(routes)) {
    if (s.expires_at !== undefined && Date.parse(s.expires_at) <= t) {
      out ??= { ...routes };
      Reflect.deleteProperty(out, name);
    }
  }
  return out ?? routes;
}

/**
 * The document with a patch applied, one version up (so a concurrent writer's change is refused as
 * stale, not overwritten). Overrides that have expired are dropped (see routesInForce).
 */
export function applySwitchPatch(doc: SwitchDocument | undefined, patch: SwitchPatch, now = new Date()): SwitchDocument {
  const stored: SwitchDocument = doc ?? { version: 0, global_level: 0, global_shadow: false, routes: {}, fallbacks: {} };
  const base: SwitchDocument = { ...stored, routes: routesInForce(stored.routes, now) };
  const merge = <T>(cur: Record<string, T>, change: Record<string, T | null> | undefined): Record<string, T> => {
    if (!change) return cur;
    const out = { ...cur };
    for (const [k, v] of Object.entries(change)) {
      if (v === null) Reflect.deleteProperty(out, k);
      else out[k] = v;
    }
    return out;
  };
  return {
    ...base,
    version: base.version + 1,
    updated_at: now.toISOString(),
    ...(patch.updated_by !== undefined && { updated_by: patch.updated_by }),
    global_level: patch.global_level ?? base.global_level,
    global_shadow: patch.global_shadow ?? base.global_shadow,
    routes: merge(base.routes, patch.routes),
    fallbacks: merge(base.fallbacks, patch.fallbacks),
  };
}
