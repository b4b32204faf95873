import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../pipeline/request-context.ts';
import { LOCAL_REPLIES } from '../pipeline/local-reply.ts';
import { sendsRateLimitHeaders, setRateLimitHeaders } from '../rate-limit/rate-limit-headers.ts';
import type { LegacyHandler } from './attempt.ts';
import { connectionListed, isHopByHop } from './hop-by-hop.ts';
import { UpstreamFailure } from './upstream-failure.ts';
import type { GatewayServices } from '../pipeline/gateway-services.ts';

const ATTEMPT_HEADER = 'x-brownout-attempt-count';
const ATTEMPT_VALUES = Array.from({ length: 16 }, (_, i) => String(i));

/** The client went away while the answer was streaming: the upstream attempt is aborted with it. */
export class ClientGone extends Error {
  readonly code = 'GW_ERR_CLIENT_GONE';
}

/**
 * The upstream's answer written straight to the client's response: status and headers in one
 * `writeHead`, each body chunk in one `write`, the end in one `end`. It replaces the chain the
 * answer used to take — undici's RequestHandler building a header object and a Readable body,
 * reply-from copying the headers onto the reply one by one, Fastify piping the body under two
 * end-of-stream watchers — which cost more per request than the whole engine (issue 27's budget).
 *
 * Anything that goes wrong before the headers are written (no attempt answered, retries ran out,
 * an upstream header Node refuses to send) goes the way it always went: to reply-from's handler,
 * whose error path makes the local or degraded answer. After the headers, a failure can only reset
 * the client's stream, as any proxy must.
 *
 * Backpressure: a full client socket pauses the upstream (undici's onData returning false) until
 * the response drains. A client that goes away aborts the upstream attempt at once.
 */
export class RelayedAnswer implements LegacyHandler {
  private readonly ctx: RequestContext;
  /** Draining: HTTP/1.1 answers carry `connection: close`. */
  private readonly policy: Pick<GatewayServices, 'draining'>;
  private readonly res: ServerResponse;
  /** reply-from's handler: the error path before the answer's headers are written. */
  private readonly fallback: LegacyHandler;
  private abort: ((err?: Error) => void) | undefined;
  private resume: (() => void) | undefined;
  private headersWritten = false;
  /** The answer ended (or was reset), or the fallback path took over: nothing more to write. */
  private settled = false;

  constructor(ctx: RequestContext, policy: Pick<GatewayServices, 'draining'>, fallback: LegacyHandler) {
    this.ctx = ctx;
    this.policy = policy;
    this.res = ctx.reply.raw;
    this.fallback = fallback;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    this.fallback.onConnect(abort);
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    const res = this.res;
    if (gone(res)) {
      this.abort?.(new ClientGone('client went away before the answer'));
      return false;
    }
    const out = answerHeaders(raw);
    // What the gateway set on the reply before proxying (x-request-id, x-brownout-degraded): the
    // upstream's own header of the same name wins, as it did when reply-from copied them over.
    const set = this.ctx.reply.getHeaders();
    for (const k in set) {
      const v = set[k];
      if (out[k] === undefined && v !== undefined) out[k] = typeof v === 'number' ? String(v) : v;
    }
    if (sendsRateLimitHeaders(this.ctx)) setRateLimitHeaders(out, this.ctx);
    out[ATTEMPT_HEADER] = ATTEMPT_VALUES[this.ctx.attempts] ?? String(this.ctx.attempts);
    const http1 = res.req.httpVersionMajor === 1;
    // An HTTP/1.1 connection cannot carry another request until this one's body has been read.
    if (http1 && (this.policy.draining || !res.req.complete)) out.connection = 'close';
    const length = out['content-length'];
    this.ctx.answerLength = typeof length === 'string' ? length : undefined;
    try {
      // Node would send 600–999; HTTP has no such statuses (RFC 9110 §15), and clients choke on them.
      if (status > 599) throw new RangeError(`status ${status}`);
      if (http1) {
        // Stored, not sent: Node writes the head with the first body bytes.
        res.writeHead(status, out);
      } else {
        // HTTP/2's compatibility writeHead sends HEADERS at once. Set, they go with the first DATA,
        // or — an answer without a body, such as gRPC's trailers-only error — in one HEADERS frame
        // with END_STREAM, which is where gRPC clients read the status from.
        res.statusCode = status;
        for (const k in out) res.setHeader(k, out[k]!);
      }
    } catch {
      // A name, value or status an upstream's parser let through but Node will not send. Nothing
      // went out: the upstream request drops the attempt (an upstream failure) and its error comes
      // back through onError, to the fallback path — a 502, Envoy's upstream protocol error.
      for (const k in out) res.removeHeader(k);
      throw new UpstreamFailure(LOCAL_REPLIES.upstreamProtocolError, 'upstream');
    }
    this.headersWritten = true;
    this.resume = resume;
    res.once('close', this.onClose);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const res = this.res;
    if (this.settled) return false;
    if (res.write(chunk)) return true;
    // The client went away ('close' may have come before we listened): the attempt goes with it.
    if (gone(res)) {
      this.abort?.(new ClientGone('client went away mid-answer'));
      return false;
    }
    // The client reads slower than the upstream sends: undici pauses until the response drains.
    res.once('drain', this.onDrain);
    return false;
  }

  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    this.res.end();
  }

  onError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (!this.headersWritten) {
      this.fallback.onError(err);
      return;
    }
    // Mid-body: the client's stream is reset (HTTP/1.1 closes the connection), never ended as if whole.
    if (!this.res.destroyed) this.res.destroy();
  }

  private readonly onDrain = (): void => {
    this.resume?.();
  };

  /** 'close' after the end is the normal last event; before it, the client went away. */
  private readonly onClose = (): void => {
    if (this.settled) return;
    this.abort?.(new ClientGone('client went away mid-answer'));
  };
}

/**
 * The client's side is closed. An HTTP/2 compatibility response has no `destroyed` of its own: its
 * stream says (a client's RST_STREAM, or the end of an h2load run, closes it before any answer).
 */
function gone(res: ServerResponse): boolean {
  const stream = (res as unknown as { stream?: { destroyed: boolean; closed: boolean } }).stream;
  return stream !== undefined ? stream.destroyed || stream.closed : res.destroyed;
}

/**
 * The upstream's raw header list as response headers: lower-case names, repeated names gathered
 * into arrays (set-cookie), hop-by-hop headers and every name `Connection` lists dropped. Values are
 * read as latin1, byte for byte what the upstream sent (Node writes header strings as latin1).
 */
export function answerHeaders(raw: Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let listed: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    if (isHopByHop(name)) {
      if (name === 'connection') listed = connectionListed(value);
      continue;
    }
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  if (listed === undefined || listed.length === 0) return out;
  // Rare: a Connection header naming other headers. Copied without them (no `delete`, which
  // would turn the object into a slow dictionary).
  const kept: Record<string, string | string[]> = {};
  for (const k in out) if (!listed.includes(k)) kept[k] = out[k]!;
  return kept;
}
