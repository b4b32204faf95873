import type { GatewayConfig } from '@brownout/core/config';

/**
 * Bound sockets and the admin token cannot change without a restart. A reloaded config keeps the
 * running values of those fields (so `/config` shows what is really served) and names the ones
 * that changed in the file.
 */
export function keepRestartFields(cur: GatewayConfig, next: GatewayConfig): { config: GatewayConfig; restart: string[] } {
  const restart: string[] = [];
  for (const f of ['address', 'port', 'max_header_bytes', 'codec_type', 'request_headers_timeout', 'request_timeout'] as const) if (next.listener[f] !== cur.listener[f]) restart.push(`listener.${f}`);
  if (JSON.stringify(next.listener.http2_protocol_options) !== JSON.stringify(cur.listener.http2_protocol_options)) restart.push('listener.http2_protocol_options');
  for (const f of ['address', 'port', 'token'] as const) if (next.admin[f] !== cur.admin[f]) restart.push(`admin.${f}`);
  if (next.workers !== cur.workers) restart.push('workers');
  if (JSON.stringify(next.tracing) !== JSON.stringify(cur.tracing)) restart.push('tracing');
  // Turning TLS on or off, or client certificates, changes the server itself; certificates and
  // the minimum version reload in place.
  for (const sec of ['listener', 'admin'] as const) {
    const a = cur[sec].tls;
    const b = next[sec].tls;
    if ((a === undefined) !== (b === undefined)) restart.push(`${sec}.tls`);
    else if (a && b && a.require_client_certificate !== b.require_client_certificate) restart.push(`${sec}.tls.require_client_certificate`);
  }
  if (restart.length === 0) return { config: next, restart };
  return {
    config: {
      ...next,
      workers: cur.workers,
      tracing: cur.tracing,
      listener: {
        ...next.listener,
        address: cur.listener.address,
        port: cur.listener.port,
        max_header_bytes: cur.listener.max_header_bytes,
        codec_type: cur.listener.codec_type,
        request_headers_timeout: cur.listener.request_headers_timeout,
        request_timeout: cur.listener.request_timeout,
        http2_protocol_options: cur.listener.http2_protocol_options,
        ...tlsKept(cur.listener.tls, next.listener.tls),
      },
      admin: { ...cur.admin, ...tlsKept(cur.admin.tls, next.admin.tls) },
    },
    restart,
  };
}

type Tls = GatewayConfig['listener']['tls'];

/** The tls block in force after a reload: the running one when its shape needs a restart, else the new files. */
function tlsKept(cur: Tls, next: Tls): { tls?: Tls } {
  if ((cur === undefined) !== (next === undefined)) return cur === undefined ? {} : { tls: cur };
  if (cur && next && cur.require_client_certificate !== next.require_client_certificate) return { tls: cur };
  return next === undefined ? {} : { tls: next };
}
