import type { RequestContext } from './request-context.ts';

/**
 * The way back from the upstream to the degradation decision: an attempt that got a failed answer
 * (5xx) asks, before committing to it, whether the route's fallback chain would answer instead
 * (trigger `upstream_failure`). Implemented by degradation/DegradedAnswers; the proxy depends on
 * this interface only, so `proxy/` never imports `degradation/`.
 */
export interface FailureAnswers {
  /** Synchronous: the dispatcher drops the failed answer and fails the request to the chain when true. */
  canAnswerFailure(ctx: RequestContext): boolean;
}
