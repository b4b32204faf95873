import type { Span } from '@opentelemetry/api';
import type { ClusterRuntime, Host, ResourceLimits } from '@brownout/core';

/** undici's callback-style handler, which reply-from's RequestHandler and undici's pools speak. */
export interface LegacyHandler {
  onConnect(abort: (err?: Error) => void, context?: unknown): void;
  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: Buffer[] | null): void;
  onError(err: Error): void;
}

/** Our own per-attempt timeout: undici's headersTimeout runs on a 1 s-resolution timer, too coarse for per-try budgets. */
export class AttemptTimeout extends Error {
  readonly code = 'UND_ERR_HEADERS_TIMEOUT';
}
export const TIMED_OUT = new AttemptTimeout('per-try timeout');


/** Thrown into an attempt we abandon ourselves (retried or lost a hedge race); never surfaces. */
export class AttemptDiscarded extends Error {
  readonly code = 'GW_ERR_ATTEMPT_DISCARDED';
}
export const DISCARDED = new AttemptDiscarded('attempt discarded');

/** What an attempt reports to: the request it belongs to (an interface, so the two files do not import each other). */
export interface AttemptOwner {
  readonly finished: boolean;
  readonly cluster: ClusterRuntime;
  readonly downstream: LegacyHandler;
  capture(chunk: Buffer): void;
  onAttemptHeaders(a: Attempt, status: number, raw: Buffer[], resume: () => void, statusText: string): boolean;
  onAttemptComplete(a: Attempt, trailers: Buffer[] | null): void;
  onAttemptError(a: Attempt, err: Error): void;
}

/** One try against one host. Separate objects so hedged attempts can run side by side. */
export class Attempt implements LegacyHandler {
  readonly host: Host;
  readonly request: AttemptOwner;
  abortFn: ((err?: Error) => void) | undefined;
  connected = false;
  discarded = false;
  done = false;
  timer: NodeJS.Timeout | undefined;
  cancelHedgeTimer: NodeJS.Timeout | undefined;
  /** Its timer is what is left of the caller's own deadline: timing out is the caller's doing. */
  callerDeadline = false;
  /** When it was dispatched (performance.now()), for the upstream latency histogram. */
  startedAt = 0;
  /** Holds one of the cluster's pending slots while waiting for a busy host's connection. */
  pending: ResourceLimits | undefined;
  /** Its CLIENT span, when the request is traced. */
  span: Span | undefined;

  constructor(request: AttemptOwner, host: Host) {
    this.request = request;
    this.host = host;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.discarded || this.done || this.request.finished) {
      abort(DISCARDED);
      return;
    }
    this.connected = true;
    this.releasePending();
    this.request.cluster.recordConnected(this.host);
  }

  releasePending(): void {
    if (this.pending) {
      this.pending.releasePending();
      this.pending = undefined;
    }
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (status < 200) return true;
    return this.request.onAttemptHeaders(this, status, raw, resume, statusText);
  }

  onData(chunk: Buffer): boolean {
    this.request.capture(chunk);
    return this.request.downstream.onData(chunk);
  }

  onComplete(trailers: Buffer[] | null): void {
    this.request.onAttemptComplete(this, trailers);
  }

  onError(err: Error): void {
    this.request.onAttemptError(this, err);
  }

  discard(): void {
    this.discarded = true;
    this.abortFn?.(DISCARDED);
  }

  onTimeout(): void {
    this.timer = undefined;
    this.abortFn?.(TIMED_OUT);
    // Not connected yet: undici has not handed us an abort; fail the attempt ourselves.
    if (!this.abortFn) this.request.onAttemptError(this, TIMED_OUT);
  }
}

export function onAttemptTimer(a: Attempt): void {
  a.onTimeout();
}
