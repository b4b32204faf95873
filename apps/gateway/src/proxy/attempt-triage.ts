import type { GatewayMetrics } from '../observability/metrics.ts';
import { LOCAL_REPLIES, localErrorReply } from '../pipeline/local-reply.ts';
import { isLocalError, localErrorCode } from './classify-error.ts';
import { TIMED_OUT } from './attempt.ts';
import { BodyTooLarge } from './streamed-body.ts';
import { UpstreamFailure } from './upstream-failure.ts';

/**
 * A local error is never blamed on an upstream. Of an attempt's errors, these are not the host's:
 * a request body over the route's limit (413), the gateway's own failure (a TLS file it cannot
 * read, a header Node refuses: 500, counted as a local error), and the caller's own deadline
 * running out before the host's time did (504 to that caller). Each is answered at once — no reset
 * recorded, no retry, nothing charged to the host, the breaker or the rules. Undefined: the
 * upstream's failure, judged by retries and outlier detection.
 */
export function notTheUpstreams(err: Error, callerDeadline: boolean, route: string, metrics: GatewayMetrics): UpstreamFailure | undefined {
  if (err instanceof BodyTooLarge) return new UpstreamFailure(LOCAL_REPLIES.payloadTooLarge);
  if (isLocalError(err)) {
    const code = localErrorCode(err);
    metrics.localError(route, code);
    return new UpstreamFailure(localErrorReply(code), 'local');
  }
  if (err === TIMED_OUT && callerDeadline) {
    metrics.callerTimeout(route);
    return new UpstreamFailure(LOCAL_REPLIES.upstreamTimeout, 'caller');
  }
  return undefined;
}
