import { z } from 'zod';
import { MAX_LEVEL } from '@brownout/core';
import { MAX_SWITCH_EXPIRY_MS } from '@brownout/core/config';
import { ROUTE_MODES } from './route-modes.ts';


/** A form field left blank (or not sent at all) is "not given". */
const blank = (v: unknown): unknown => (v === null || v === undefined || (typeof v === 'string' && v.trim() === '') ? undefined : typeof v === 'string' ? v.trim() : v);

/** Why: required on every flip, so the audit log and the next operator know. */
const reason = z.string({ error: 'say why' }).trim().min(3, 'say why (at least 3 characters)').max(500, 'at most 500 characters');
// http(s) only: the ticket is rendered as a link, and a `javascript:` URL would be a script.
const ticket = z.preprocess(blank, z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(500).optional());
const shadow = z.preprocess(v => v === true || v === 'on' || v === 'true', z.boolean());

/** Expiry as the browser's datetime-local (UTC) or an ISO time with offset; must be in the future. */
export function expirySchema(now: () => number) {
  return z.preprocess(
    blank,
    z
      .string()
      .transform((s, ctx) => {
        const t = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`);
        if (!Number.isFinite(t)) {
          ctx.addIssue({ code: 'custom', message: 'not a date and time' });
          return z.NEVER;
        }
        if (t <= now()) {
          ctx.addIssue({ code: 'custom', message: 'already in the past; an expiry must be in the future' });
          return z.NEVER;
        }
        if (t > now() + MAX_SWITCH_EXPIRY_MS) {
          ctx.addIssue({ code: 'custom', message: `at most ${MAX_SWITCH_EXPIRY_MS / 86_400_000} days ahead; leave it blank for a switch that stays until removed` });
          return z.NEVER;
        }
        return new Date(t).toISOString();
      })
      .optional(),
  );
}

export function routeFlipSchema(now: () => number = Date.now) {
  return z.object({
    route: z.string({ error: 'pick a route' }).trim().min(1, 'pick a route').max(200),
    mode: z.enum(ROUTE_MODES, { error: `one of ${ROUTE_MODES.join(', ')}` }),
    reason,
    ticket,
    expiresAt: expirySchema(now),
    shadow,
  });
}
export type RouteFlip = z.output<ReturnType<typeof routeFlipSchema>>;

export const globalLevelSchema = z.object({
  level: z.coerce.number({ error: `a level from 0 to ${MAX_LEVEL}` }).int(`a level from 0 to ${MAX_LEVEL}`).min(0, `a level from 0 to ${MAX_LEVEL}`).max(MAX_LEVEL, `a level from 0 to ${MAX_LEVEL}`),
  reason,
  ticket,
  shadow,
});
export type GlobalLevel = z.output<typeof globalLevelSchema>;

export const restoreAllSchema = z.object({ reason, ticket });
export type RestoreAll = z.output<typeof restoreAllSchema>;

/** Field name → first message, for showing next to the field. */
export function fieldErrors(e: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of e.issues) {
    const k = String(i.path[0] ?? 'form');
    out[k] ??= i.message;
  }
  return out;
}
