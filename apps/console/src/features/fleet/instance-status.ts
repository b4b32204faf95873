import { z } from 'zod';

/**
 * One gateway instance's status as the console reads it — from the fleet status in Redis or from a
 * gateway's admin API. Parsed leniently field by field: a gateway of another version, or garbage
 * in Redis, yields fewer facts, never a crashed page.
 */
const num = z.number();
const host = z.object({
  address: z.string(),
  port: z.number().int(),
  health_flags: z.string().catch('unknown'),
  ejected: z.boolean().catch(false),
  ejected_for: z.string().nullable().catch(null),
  ejection_count: num.catch(0),
  ejection_time_left_ms: num.catch(0),
});
export const instanceStatusSchema = z.object({
  instance: z.string().min(1).max(200),
  heartbeat_at: z.string().optional().catch(undefined),
  heartbeat_ms: num.optional().catch(undefined),
  started_at: z.string().optional().catch(undefined),
  draining: z.boolean().catch(false),
  switches_version: num.optional().catch(undefined),
  switches_stale_ms: num.nullable().optional().catch(null),
  automatic: z.array(z.object({ route: z.string(), reason: z.string() })).catch([]),
  clusters: z.array(z.object({ name: z.string(), hosts: z.array(host).catch([]) })).catch([]),
  routes: z.record(z.string(), z.record(z.string(), num.catch(0))).catch({}),
  route_meta: z.array(z.object({ name: z.string(), cluster: z.string(), priority: z.string() })).catch([]),
  /** Cumulative per-route degraded answers and latency histogram (bounds in seconds, last bucket +Inf). */
  route_detail: z
    .object({ latency_bounds_s: z.array(num), routes: z.record(z.string(), z.object({ degraded: num.catch(0), latency: z.array(num).catch([]) })) })
    .optional()
    .catch(undefined),
  /** The published fallback revision this instance serves, per route. */
  fallback_revisions: z.record(z.string(), num.nullable().catch(null)).catch({}),
});
export type InstanceStatus = z.output<typeof instanceStatusSchema>;

export function parseInstances(raw: readonly unknown[]): InstanceStatus[] {
  const out: InstanceStatus[] = [];
  for (const r of raw) {
    const p = instanceStatusSchema.safeParse(r);
    if (p.success) out.push(p.data);
  }
  return out;
}
