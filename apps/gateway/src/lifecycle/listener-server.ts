import type { GatewayConfig } from '@brownout/core/config';
import { serverTlsOptions } from './tls.ts';

type Listener = GatewayConfig['listener'];

/** Which protocols the public listener speaks, from `codec_type` and `tls`. */
type ListenerProtocols = 'http1' | 'https1' | 'h2-alpn' | 'h2-only-tls' | 'h2c';

function listenerProtocols(l: Listener): ListenerProtocols {
  if (l.tls) return l.codec_type === 'HTTP1' ? 'https1' : l.codec_type === 'HTTP2' ? 'h2-only-tls' : 'h2-alpn';
  return l.codec_type === 'HTTP2' ? 'h2c' : 'http1';
}

/** The listener is Node's HTTP/2 server (h2 by ALPN, h2 only, or h2c), which the gateway drains itself. */
export function servesHttp2(l: Listener): boolean {
  const mode = listenerProtocols(l);
  return mode !== 'http1' && mode !== 'https1';
}

/**
 * Fastify's server options for the public listener. HTTP/2 sessions get Envoy's edge limits
 * (`http2_protocol_options`): concurrent streams per connection, the header list bounded by
 * `max_header_bytes` as HTTP/1.1's headers are, the initial stream window. Node 20 (nghttp2 1.61)
 * itself bounds CONTINUATION floods, SETTINGS/PING floods (outbound-queue limit) and the session's
 * memory; rapid resets are left to lifecycle/http2-abuse.ts (nghttp2 lets ~1000 through).
 */
export function listenerServerOptions(l: Listener): Record<string, unknown> {
  const mode = listenerProtocols(l);
  const http1 = http1Limits(l);
  if (mode === 'http1') return { http: http1, requestTimeout: l.request_timeout };
  const tls = l.tls ? serverTlsOptions('listener', l.tls) : undefined;
  if (mode === 'https1') return { https: { ...tls, ...http1 }, requestTimeout: l.request_timeout };
  const h2 = {
    settings: {
      maxConcurrentStreams: l.http2_protocol_options.max_concurrent_streams,
      maxHeaderListSize: l.max_header_bytes,
      initialWindowSize: l.http2_protocol_options.initial_stream_window_size,
      enablePush: false,
    },
    maxHeaderListPairs: 128,
    // A session whose streams Node keeps refusing or whose frames keep failing (empty DATA frames
    // among them) is closed after a few, not after Node's defaults of 100 and 1000. An HPACK bomb's
    // streams are refused inside nghttp2 after decoding and never reach JavaScript; what ends its
    // session is the memory they hold (max_session_memory_mb) making Node refuse the next ones.
    maxSessionRejectedStreams: 4,
    maxSessionInvalidFrames: 100,
    maxSessionMemory: l.http2_protocol_options.max_session_memory_mb,
  };
  if (mode === 'h2c') return { http2: true, http: h2 };
  return {
    http2: true,
    https: { ...tls, ...h2, ALPNProtocols: mode === 'h2-alpn' ? ['h2', 'http/1.1'] : ['h2'], allowHTTP1: mode === 'h2-alpn', maxHeaderSize: l.max_header_bytes },
  };
}

/**
 * Node's HTTP/1.1 server limits. Node derives its header timeout from its request timeout, so
 * Fastify's `requestTimeout: 0` silently disabled it (a header trickle held a connection for
 * minutes): both are set here, and checked every second instead of Node's 30 s, so a timeout fires
 * within a second of being due.
 */
function http1Limits(l: Listener): Record<string, number> {
  return {
    maxHeaderSize: l.max_header_bytes,
    headersTimeout: l.request_timeout > 0 ? Math.min(l.request_headers_timeout, l.request_timeout) : l.request_headers_timeout,
    requestTimeout: l.request_timeout,
    connectionsCheckingInterval: 1_000,
  };
}
