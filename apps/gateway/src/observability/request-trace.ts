import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Host } from '@brownout/core';

// What the request path touches of tracing: only @opentelemetry/api (a few kB). The SDK and the
// exporter (observability/tracing.ts) are loaded only when the config has a `tracing` block.

/** One request's spans: its own, and one per upstream attempt under it. */
export class RequestTrace {
  readonly span: Span;
  private readonly tracer: Tracer;
  private readonly ctx: Context;

  constructor(tracer: Tracer, span: Span) {
    this.tracer = tracer;
    this.span = span;
    this.ctx = trace.setSpan(ROOT_CONTEXT, span);
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  /** A CLIENT span for attempt `n` (1 = first try) to `host`, and the traceparent the upstream gets. */
  attempt(cluster: string, host: Host, n: number, hedged: boolean): Span {
    return this.tracer.startSpan(
      `attempt ${n} ${cluster}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'brownout.cluster': cluster, 'server.address': host.address, 'server.port': host.port, 'brownout.attempt': n, 'brownout.hedged': hedged },
      },
      this.ctx,
    );
  }

  /** Ends the request span with what the client got. */
  end(status: number, cluster: string, flags: string, degradedMode: string, requestId: string): void {
    const s = this.span;
    s.setAttribute('http.response.status_code', status);
    s.setAttribute('brownout.cluster', cluster);
    if (flags !== '') s.setAttribute('brownout.response_flags', flags);
    if (degradedMode !== '') s.setAttribute('brownout.degraded_mode', degradedMode);
    if (requestId !== '') s.setAttribute('brownout.request_id', requestId);
    if (status >= 500) s.setStatus({ code: SpanStatusCode.ERROR });
    s.end();
  }
}

/** W3C traceparent of a span (version 00), for the upstream request. */
export function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-0${(c.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** Records how an attempt ended without an answer (reset kind or local error) on its span. */
export function attemptFailed(span: Span, reason: string): void {
  span.setAttribute('error.type', reason);
  span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
}
