import type { RequestContext } from '../pipeline/request-context.ts';

/** Envoy's DRAFT_VERSION_03 rate-limit headers, on every response that went through a bucket. */
export function setRateLimitHeaders(out: Record<string, string | string[] | undefined>, ctx: RequestContext): void {
  out['x-ratelimit-limit'] = String(ctx.rlLimit);
  out['x-ratelimit-remaining'] = String(ctx.rlRemaining);
  out['x-ratelimit-reset'] = String(ctx.rlResetS);
}

/** Whether answers on this request's route carry them (opt-in, as in Envoy). */
export function sendsRateLimitHeaders(ctx: RequestContext): boolean {
  return ctx.rlLimit > 0 && ctx.route.config.rate_limit?.enable_x_ratelimit_headers === 'DRAFT_VERSION_03';
}
