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
 * `max_header_bytes` as HTTP/1.1's headers are, the initial stream window. Node 20 itself bounds
 * rapid stream resets (CVE-2023-44487) and the session's memory.
 */
export function listenerServerOptions(l: Listener): Record<string, unknown> {
  const mode = listenerProtocols(l);
  if (mode === 'http1') return { http: { maxHeaderSize: l.max_header_bytes } };
  const tls = l.tls ? serverTlsOptions('listener', l.tls) : undefined;
  if (mode === 'https1') return { https: { ...tls, maxHeaderSize: l.max_header_bytes } };
  const h2 = {
    settings: {
      maxConcurrentStreams: l.http2_protocol_options.max_concurrent_streams,
      maxHeaderListSize: l.max_header_bytes,
      initialWindowSize: l.http2_protocol_options.initial_stream_window_size,
      enablePush: false,
    },
    maxHeaderListPairs: 128,
  };
  if (mode === 'h2c') return { http2: true, http: h2 };
  return {
    http2: true,
    https: { ...tls, ...h2, ALPNProtocols: mode === 'h2-alpn' ? ['h2', 'http/1.1'] : ['h2'], allowHTTP1: mode === 'h2-alpn', maxHeaderSize: l.max_header_bytes },
  };
}
