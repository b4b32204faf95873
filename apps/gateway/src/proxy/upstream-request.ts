import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import {
  Admission,
  isNoHealthyHost,
  NoRetry,
  ResetKind,
  RETRY_ON_ANY_STATUS,
  formatGrpcTimeout,
  timerDelay,
  type Host,
  type ResourceLimits,
} from '@brownout/core';
import type { RequestContext } from '../pipeline/request-context.ts';
import type { AttemptRunner } from './attempt-runner.ts';
import { acquireUpstream, Acquired } from '../pipeline/admit.ts';
import { failedAnswerReply, LOCAL_REPLIES, resetReply } from '../pipeline/local-reply.ts';
import { UpstreamFailure } from './upstream-failure.ts';
import { classifyAttemptError, localErrorCode, resetReason } from './classify-error.ts';
import { notTheUpstreams } from './attempt-triage.ts';
import { RetryPlan, noteNoRetry } from './retry-plan.ts';
import { Attempt, DISCARDED, TIMED_OUT, onAttemptTimer, type AttemptOwner, type LegacyHandler } from './attempt.ts';
import { rawHeader } from './raw-headers.ts';
import { CacheCapture } from '../degradation/cache-capture.ts';
import { prepareRequestBody } from './request-body.ts';
import { GRPC_TIMEOUT_SLOT, TRACEPARENT_SLOT, upstreamHeaderList } from './upstream-headers.ts';
import { attemptOptions } from './attempt-options.ts';
import { attemptFailed, traceparentOf } from '../observability/request-trace.ts';
import { ClientBodyFailed, type StreamedBody } from './streamed-body.ts';
import { effectiveStatus, forwardTrailers, headerGrpcStatus, trailersJudged } from '../grpc/grpc-wire.ts';

const IMMEDIATE_FAIL = 'x-envoy-immediate-health-check-fail';

/**
 * One client request's journey through the engine: breaker and cluster-limit admission, host
 * picks per attempt, per-try timeouts, retries with back-off on other hosts, optional hedging, and
 * outcome reporting to outlier detection, the breaker and degradation rules. Once response
 * headers are handed downstream the request is committed: no retry can start after that.
 */
export class UpstreamRequest implements AttemptOwner {
  readonly ctx: RequestContext;
  readonly downstream: LegacyHandler;
  readonly cluster: RequestContext['cluster'];
  finished = false;
  private readonly dispatcher: AttemptRunner;
  private readonly opts: Dispatcher.DispatchOptions;
  private readonly limits: ResourceLimits;
  private retries: RetryPlan | undefined;
  private body: Buffer | string | Readable | StreamedBody | null | undefined;
  /** The body streams to the first attempt (route `buffer_request_body: false`): nothing can be retried. */
  private streaming = false;
  private path: string;
  private headers: (string | string[] | undefined)[] | undefined;
  private committed: Attempt | undefined;
  private inflight: Attempt[] = [];
  private holdsRequest = false;
  private clientAborted = false;
  /** A cacheable answer's copy for the `cache` degradation mode (degradation/cache-capture.ts). */
  private captured: CacheCapture | undefined;
  private holdsBreaker = false;
  /** The committed answer is a failure (5xx, or a gRPC status that counts as one). */
  private answerFailed = false;

  constructor(dispatcher: AttemptRunner, ctx: RequestContext, opts: Dispatcher.DispatchOptions, downstream: LegacyHandler) {
    this.dispatcher = dispatcher;
    this.ctx = ctx;
    this.opts = opts;
    this.downstream = downstream;
    this.cluster = ctx.cluster;
    this.limits = this.cluster.limits.forRoute(ctx.route.config.priority);
    // Our canonical target, not reply-from's: it rebuilds the URL with `new URL()`, which
    // re-normalises (dot segments, backslashes, `{`/`}` escaping) after routing has happened.
    this.path = ctx.target;
  }

  start(): void {
    this.downstream.onConnect(this.abortFromDownstream);
    const route = this.ctx.route;
    const acquired = acquireUpstream(route, this.cluster, this.limits, 'request');
    if (typeof acquired !== 'number') {
      this.fail(new UpstreamFailure(acquired, acquired === LOCAL_REPLIES.breakerOpen ? 'breaker' : undefined));
      return;
    }
    this.holdsBreaker = acquired === Acquired.SlotAndBreaker;
    this.holdsRequest = true;
    const rw = route.config.prefix_rewrite;
    const prefix = route.config.match.prefix;
    if (rw !== undefined && prefix !== undefined) this.path = rw + this.path.slice(prefix.length);
    prepareRequestBody(this.ctx.rawBody ?? this.opts.body, route.config, this.opts.headers, this);
  }

  /** The body is ready (streamed, buffered or already in memory): the first attempt goes. */
  bodyReady(body: Buffer | string | Readable | StreamedBody | null | undefined, streaming: boolean): void {
    this.body = body;
    this.streaming = streaming;
    this.attempt();
  }

  /** The body could not be read or is over the route's limit. */
  bodyFailed(failure: UpstreamFailure): void {
    this.fail(failure);
  }

  private attempt(): void {
    if (this.finished) return;
    const ctx = this.ctx;
    const policy = ctx.route.retryPolicy;
    const picked = this.cluster.pick(policy.avoid_previous_hosts ? this.retries?.tried : undefined, policy.host_selection_retry_max_attempts);
    if (isNoHealthyHost(picked)) {
      this.fail(new UpstreamFailure(LOCAL_REPLIES.noHealthyUpstream, 'no-healthy-host'));
      return;
    }
    const host: Host = picked;
    const now = performance.now();
    const remaining = ctx.deadline.remaining(now);
    if (remaining <= 0) {
      this.fail(new UpstreamFailure(LOCAL_REPLIES.upstreamTimeout));
      return;
    }
    const hedging = policy.hedge_on_per_try_timeout && policy.per_try_timeout > 0 && !this.streaming;
    const timeout = hedging ? remaining : ctx.deadline.attemptTimeout(now, policy.per_try_timeout);
    const hp = this.dispatcher.poolFor(host, this.cluster);
    const a = new Attempt(this, host);
    // Every connection to this host is busy, so undici will queue the request: that wait is
    // Envoy's "pending", bounded by max_pending_requests; past it the answer is an overflow at once.
    if (host.activeRequests >= hp.connections) {
      if (this.limits.tryAcquirePending() !== Admission.Admitted) {
        this.fail(new UpstreamFailure(LOCAL_REPLIES.overflow));
        return;
      }
      a.pending = this.limits;
    }
    a.callerDeadline = ctx.deadline.callerBound && timeout >= remaining;
    a.startedAt = now;
    host.activeRequests++;
    ctx.attempts++;
    this.inflight.push(a);
    const headers = (this.headers ??= upstreamHeaderList(this.opts.headers, this.ctx));
    const budget = ctx.deadline.downstreamBudget(now, policy.per_try_timeout, hedging);
    headers[headers.length - 1] = budget === undefined ? undefined : String(budget);
    // gRPC: what is left of the client's own deadline, as the upstream's grpc-timeout.
    if (ctx.grpcDeadlineAt >= 0) headers[headers.length - GRPC_TIMEOUT_SLOT - (ctx.trace ? 2 : 0)] = formatGrpcTimeout(ctx.grpcDeadlineAt - now);
    if (ctx.trace) {
      a.span = ctx.trace.attempt(this.cluster.name, host, ctx.attempts, this.inflight.length > 1);
      headers[headers.length - TRACEPARENT_SLOT] = traceparentOf(a.span);
    }
    if (hedging && policy.per_try_timeout < remaining) {
      a.cancelHedgeTimer = setTimeout(() => {
        this.onHedgeTimeout(a);
      }, timerDelay(policy.per_try_timeout));
    }
    // A native timer per attempt: the delay is the route's per-try (or route) timeout, constant for
    // first attempts, so Node keeps one timer list per value and insert/remove stay O(1). A shared
    // wheel was measured slower: it kept every request's objects alive until their slot expired.
    if (Number.isFinite(timeout)) a.timer = setTimeout(onAttemptTimer, timerDelay(Math.ceil(timeout)), a);
    hp.pool.dispatch(attemptOptions(this.path, this.opts.method, hp.servername, headers, this.body ?? null, remaining), a as unknown as Dispatcher.DispatchHandler);
  }

  onAttemptHeaders(a: Attempt, status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (a.timer) {
      clearTimeout(a.timer);
      a.timer = undefined;
    }
    if (a.discarded || a.done || this.finished) {
      a.discard();
      return false;
    }
    const host = a.host;
    a.span?.setAttribute('http.response.status_code', status);
    const upstreamMs = performance.now() - a.startedAt;
    this.ctx.upstreamMs = upstreamMs;
    // A gRPC failure comes as HTTP 200 with grpc-status: judged by what it means (UNAVAILABLE is a 503).
    if (this.ctx.grpc !== undefined) this.ctx.grpcStatus = headerGrpcStatus(raw);
    const judged = this.ctx.grpc === undefined ? status : effectiveStatus(status, this.ctx.grpcStatus);
    this.dispatcher.metrics.upstreamResponse(this.cluster.name, host.id, judged, upstreamMs / 1000);
    // A gRPC answer without grpc-status in its headers says how it went in its trailers: judged then.
    if (this.ctx.grpc === undefined || this.ctx.grpcStatus >= 0) this.cluster.recordResponse(host, judged);
    if (this.cluster.healthChecker && rawHeader(raw, IMMEDIATE_FAIL) !== undefined) {
      this.cluster.healthChecker.setUnhealthyImmediately(host);
    }
    const policy = this.ctx.route.retryPolicy;
    // Only error statuses can match retry_on, except retriable-headers and gRPC conditions (grpc-status
    // fails with HTTP 200), which may match any answer. A streamed body cannot be sent twice.
    if (policy.retry_on !== 0 && !this.streaming && (status >= 400 || (policy.retry_on & RETRY_ON_ANY_STATUS) !== 0)) {
      const plan = this.retryPlan();
      const decision = plan.state.onResponse(status, name => rawHeader(raw, name), this.ctx.deadline.remaining(performance.now()), plan.otherHostAfter(host));
      if (decision >= 0) {
        this.endAttempt(a);
        a.discard();
        if (this.inflight.length === 0) plan.schedule(host, decision);
        return false;
      }
      noteNoRetry(this.ctx, decision);
      // A bad answer from a hedged attempt waits while another attempt may still answer well.
      if (this.inflight.length > 1 && judged >= 500) {
        this.endAttempt(a);
        a.discard();
        return false;
      }
    } else if (this.retries) {
      // A retried request answered without needing a retry decision (e.g. a 2xx): a retry success.
      this.retries.state.onAnswered();
    }
    // A failed answer the route's fallback chain can replace never reaches the client: dropped, it
    // goes the way of a reset (breaker, rules, then the chain).
    if (judged >= 500 && this.cluster === this.ctx.route.cluster && this.dispatcher.answersFailure(this.ctx)) {
      this.endAttempt(a);
      a.discard();
      if (this.inflight.length > 0) return false; // a hedged attempt may still answer well
      this.ctx.host = host.id;
      this.fail(new UpstreamFailure(failedAnswerReply(judged), 'upstream'));
      return false;
    }
    this.answerFailed = judged >= 500;
    this.commit(a, status);
    this.captured = CacheCapture.start(this.ctx, status, raw);
    try {
      return this.downstream.onHeaders(status, raw, resume, statusText);
    } catch (err) {
      // An answer that cannot be sent on (relayed-answer.ts): aborted, charged to the host as the committed attempt's error.
      if (!(err instanceof UpstreamFailure)) throw err;
      a.abortFn?.(err);
      return false;
    }
  }

  capture(chunk: Buffer): void {
    this.captured?.add(chunk);
  }

  onAttemptComplete(a: Attempt, trailers: Buffer[] | null): void {
    if (a !== this.committed) return;
    this.endAttempt(a);
    // Trailers go on before the body ends downstream; a call without grpc-status in its headers is judged by theirs.
    const code = this.ctx.grpc === undefined ? -1 : forwardTrailers(this.ctx.grpc, trailers);
    this.captured?.complete(code);
    this.captured = undefined;
    if (this.ctx.grpc !== undefined && this.ctx.grpcStatus < 0) {
      this.ctx.grpcStatus = code;
      this.cluster.recordResponse(a.host, trailersJudged(code));
      this.answerFailed = trailersJudged(code) >= 500;
    }
    this.finish(this.answerFailed);
    this.downstream.onComplete(trailers);
  }

  onAttemptError(a: Attempt, err: Error): void {
    if (a.span && err !== DISCARDED && !a.discarded) attemptFailed(a.span, err === TIMED_OUT ? 'per_try_timeout' : localErrorCode(err));
    const wasInflight = this.endAttempt(a);
    if (err === DISCARDED || a.discarded) return;
    if (a === this.committed) {
      // Mid-answer: all we can do is reset downstream too. A client that hung up is not the upstream's failure.
      this.finish(this.clientAborted ? this.answerFailed : true);
      this.downstream.onError(err);
      return;
    }
    if (this.finished || !wasInflight) return;
    if (err instanceof ClientBodyFailed) {
      // The client hung up mid-upload: nothing to answer, nothing to charge.
      this.clientAborted = true;
      this.ctx.addFlag('DC');
      this.finish(undefined);
      this.downstream.onError(err);
      return;
    }
    const ours = notTheUpstreams(err, a.callerDeadline, this.ctx.route.name, this.dispatcher.metrics);
    if (ours) {
      this.fail(ours);
      return;
    }
    const kind = classifyAttemptError(err);
    this.dispatcher.metrics.upstreamReset(this.cluster.name, a.host.id, kind);
    this.cluster.recordReset(a.host, kind);
    const now = performance.now();
    if (this.ctx.deadline.expired(now)) {
      this.fail(new UpstreamFailure(LOCAL_REPLIES.upstreamTimeout, 'upstream'));
      return;
    }
    const decision =
      this.ctx.route.retryPolicy.retry_on === 0 || this.streaming
        ? NoRetry.NotRetriable
        : this.retryPlan().state.onReset(kind, a.connected, this.ctx.deadline.remaining(now), this.retryPlan().otherHostAfter(a.host));
    if (decision >= 0) {
      if (this.inflight.length === 0) this.retryPlan().schedule(a.host, decision);
      return;
    }
    noteNoRetry(this.ctx, decision);
    if (this.inflight.length > 0) return; // a hedged attempt may still answer
    if (kind === ResetKind.PerTryTimeout) {
      this.fail(new UpstreamFailure(LOCAL_REPLIES.upstreamTimeout, 'upstream'));
    } else {
      this.fail(new UpstreamFailure(resetReply(resetReason(kind, err), this.ctx.attempts > 1, kind === ResetKind.ConnectFailure), 'upstream'));
    }
  }

  private onHedgeTimeout(a: Attempt): void {
    a.cancelHedgeTimer = undefined;
    if (this.finished || this.committed || a.done) return;
    // Charged to outlier detection once, as Envoy does for a soft per-try timeout.
    this.cluster.recordReset(a.host, ResetKind.PerTryTimeout);
    const plan = this.retryPlan();
    const d = plan.state.onReset(ResetKind.PerTryTimeout, true, this.ctx.deadline.remaining(performance.now()), plan.otherHostAfter(a.host));
    if (d >= 0) plan.schedule(a.host, d);
  }

  /** The request's retry plan, made at its first retry decision. */
  private retryPlan(): RetryPlan {
    return (this.retries ??= new RetryPlan(this.ctx, this.cluster, this.opts.method, this.limits, this.dispatcher.metrics, this));
  }

  /** RetryOwner: the plan's wait is over. */
  retryNow(): void {
    this.attempt();
  }

  private commit(a: Attempt, status: number): void {
    this.committed = a;
    this.ctx.status = status;
    this.ctx.host = a.host.id;
    for (const other of this.inflight) {
      if (other !== a) {
        this.endAttempt(other);
        other.discard();
      }
    }
  }

  /** Removes `a` from the in-flight set; returns false if it had already ended. */
  private endAttempt(a: Attempt): boolean {
    if (a.done) return false;
    a.done = true;
    a.releasePending();
    a.host.activeRequests--;
    if (a.timer) {
      clearTimeout(a.timer);
      a.timer = undefined;
    }
    if (a.cancelHedgeTimer) clearTimeout(a.cancelHedgeTimer);
    if (a.span) {
      if (a.discarded) a.span.setAttribute('brownout.discarded', true);
      a.span.end();
      a.span = undefined;
    }
    const i = this.inflight.indexOf(a);
    if (i >= 0) this.inflight.splice(i, 1);
    return true;
  }

  private fail(failure: UpstreamFailure): void {
    if (this.finished) return;
    // Only upstream trouble counts against the breaker and rules; our own refusals do not.
    const t = failure.trigger;
    this.finish(t === 'upstream' || t === 'no-healthy-host' ? true : undefined);
    this.downstream.onError(failure);
  }

  /**
   * Releases everything the request holds and reports its outcome once: `true` failed, `false`
   * succeeded, `undefined` never really ran (client went away, overflow) and is not counted.
   */
  private finish(failed: boolean | undefined): void {
    if (this.finished) return;
    this.finished = true;
    for (const a of [...this.inflight]) {
      if (a === this.committed) continue;
      this.endAttempt(a);
      a.discard();
    }
    this.retries?.end();
    if (this.holdsRequest) this.limits.releaseRequest();
    const route = this.ctx.route;
    const duration = performance.now() - this.ctx.startedAt;
    if (this.holdsBreaker) {
      if (failed === undefined) route.breaker!.onIgnored();
      else if (failed) route.breaker!.onFailure(duration);
      else route.breaker!.onSuccess(duration);
    }
    if (failed !== undefined && route.rules.length > 0) route.recordForRules(failed, duration);
  }

  /** The client went away (relayed-answer.ts): a committed attempt is aborted with it; before an answer, all are discarded. */
  private readonly abortFromDownstream = (err?: Error): void => {
    this.clientAborted = true;
    this.ctx.addFlag('DC');
    const committed = this.committed;
    if (committed && !committed.done) {
      committed.abortFn?.(err);
      return;
    }
    if (this.finished) return;
    this.finish(undefined);
    this.downstream.onError(err ?? new Error('request aborted by the client'));
  };
}
