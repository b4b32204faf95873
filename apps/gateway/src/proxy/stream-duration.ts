import { constants, type Http2ServerResponse } from 'node:http2';
import type { FastifyReply } from 'fastify';
import { timerDelay } from '@brownout/core';

/**
 * A route's `max_stream_duration` (Envoy's RouteAction.MaxStreamDuration): the route timeout bounds
 * the wait for an answer's headers, this bounds the whole exchange. A stream still open when it
 * runs out is reset (RST_STREAM CANCEL over HTTP/2, the connection over HTTP/1.1), which takes the
 * upstream attempt down with it (reply-from hears the client go away). Before the headers, the
 * request's deadline — shortened to this bound at admission — answers 504 / DEADLINE_EXCEEDED as
 * any timeout does. One timer per request, only on routes that set a bound.
 */
export function limitStreamDuration(reply: FastifyReply, ms: number): void {
  const res = reply.raw;
  const timer = setTimeout(resetStream, timerDelay(ms), res);
  res.once('close', () => {
    clearTimeout(timer);
  });
}

function resetStream(res: FastifyReply['raw']): void {
  if (res.writableEnded || res.destroyed) return;
  const stream = (res as unknown as Partial<Http2ServerResponse>).stream;
  if (stream !== undefined) stream.close(constants.NGHTTP2_CANCEL);
  else res.destroy();
}
