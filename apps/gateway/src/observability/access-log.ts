import { once } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pino, destination, stdTimeFunctions, type Logger } from 'pino';

/** What one upgrade did, for the access log (one line when it ends). */
export interface UpgradeLogEntry {
  method: string;
  path: string;
  status: number;
  route: string | null;
  cluster: string | null;
  host: string | null;
  flags: string;
  upgrade: string;
  request_id: string | null;
  client: string;
  user_agent: string | null;
  duration_ms: number;
  upstream_ms: number | null;
  bytes_in: number;
  bytes_out: number;
}

/**
 * One JSON line per request, written asynchronously (pino's buffered destination) so logging never
 * blocks the event loop. `off` disables it: per-request logging is the single largest cost a Node
 * proxy can add (≈27% measured with synchronous request logging). Everything is read from the
 * request and reply inside `write`, so a disabled log costs one empty call.
 */
export interface AccessLog {
  write(req: FastifyRequest, reply: FastifyReply, durationMs: number): void;
  /** An upgrade (tunnel), written when it ends: its handshake answer, and bytes both ways. */
  upgrade(entry: UpgradeLogEntry): void;
  /** Writes what is buffered and stops the periodic flush (at shutdown); waits for a file still being opened. */
  flush(): Promise<void>;
}

/**
 * Lines wait in a 4 KiB buffer so a busy gateway writes in large, few syscalls; at low traffic that
 * buffer took over a minute to fill, so lines sat unwritten and died with a crash. One timer per
 * process (not per request) writes whatever is buffered every second.
 */
const FLUSH_EVERY_MS = 1_000;

export function createAccessLog(target: string): AccessLog {
  if (target === 'off') return { write() {}, upgrade() {}, flush: () => Promise.resolve() };
  const dest = destination({ dest: target === 'stdout' ? 1 : target, sync: false, minLength: 4096, mkdir: true });
  const log: Logger = pino({ base: null, messageKey: 'msg', timestamp: stdTimeFunctions.isoTime }, dest);
  let opened = target === 'stdout';
  dest.once('ready', () => {
    opened = true;
  });
  const timer = setInterval(() => {
    // SonicBoom refuses a flush before its file is open.
    if (opened) dest.flush();
  }, FLUSH_EVERY_MS);
  timer.unref();
  return {
    write(req, reply, durationMs) {
      const ctx = req.brownout ?? undefined;
      const q = req.url.indexOf('?');
      const flag = req.brownoutFlag;
      const cl = req.headers['content-length'];
      // A relayed answer's headers went to Node in one writeHead, not through the reply.
      const out = ctx?.answerLength ?? reply.getHeader('content-length');
      log.info({
        method: req.method,
        path: q < 0 ? req.url : req.url.slice(0, q),
        status: reply.statusCode,
        // gRPC calls only (absent otherwise): the status the client got, from headers, trailers or the gateway.
        grpc_status: ctx && ctx.grpcStatus >= 0 ? ctx.grpcStatus : undefined,
        route: ctx?.route.name ?? null,
        cluster: ctx?.route.cluster.name ?? null,
        host: ctx?.host === '' ? null : (ctx?.host ?? null),
        attempts: ctx?.attempts ?? 0,
        duration_ms: Math.round(durationMs * 1000) / 1000,
        upstream_ms: ctx && ctx.upstreamMs >= 0 ? Math.round(ctx.upstreamMs * 1000) / 1000 : null,
        flags: ctx ? (ctx.flags === '' ? '-' : ctx.flags) : flag === '' ? '-' : flag,
        degraded: ctx?.degradedMode ? `${ctx.degradedMode}:${ctx.degradeReason}` : undefined,
        request_id: (ctx ? ctx.requestId : req.brownoutRequestId) || null,
        // Only when tracing is on (absent otherwise).
        trace_id: ctx?.trace?.traceId,
        client: req.ip,
        user_agent: req.headers['user-agent'] ?? null,
        // From the framing headers: a chunked body's size is not known without counting it.
        bytes_in: cl === undefined ? 0 : Number(cl),
        bytes_out: out === undefined ? null : Number(out),
      });
    },
    upgrade(entry) {
      log.info(entry);
    },
    async flush() {
      clearInterval(timer);
      // A gateway stopped within milliseconds of starting may close before its log file is open;
      // SonicBoom throws on a flush then, so the lines wait for the file (bounded: a log that
      // cannot be opened must not hold up the shutdown).
      if (!opened) await Promise.race([once(dest, 'ready'), new Promise(r => setTimeout(r, 2_000).unref())]).catch(() => undefined);
      if (opened) dest.flushSync();
    },
  };
}
