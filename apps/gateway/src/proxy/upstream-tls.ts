import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import type { ClusterConfig } from '@brownout/core/config';

export type UpstreamTls = NonNullable<ClusterConfig['tls']>;

/** The TLS part of undici's connect options. */
export interface UpstreamTlsOptions {
  servername?: string;
  rejectUnauthorized: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * What undici's TLS connect needs for one host of a cluster with `tls`: the CA and client
 * certificate (read when the pool is built: at first use and after a reload that changes them),
 * verification, and the server name — the configured `sni`, else the host's address when it is a
 * name (an IP address gets no SNI, as RFC 6066 asks, and is verified against the certificate's IP SANs).
 */
export function upstreamTlsOptions(cluster: string, tls: UpstreamTls, address: string): UpstreamTlsOptions {
  const read = (field: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`clusters.${cluster}.tls.${field}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
    }
  };
  const bare = address.startsWith('[') ? address.slice(1, -1) : address;
  const servername = tls.sni ?? (isIP(bare) === 0 ? bare : undefined);
  return {
    ...(servername ? { servername } : {}),
    rejectUnauthorized: tls.verify,
    ...(tls.trusted_ca ? { ca: read('trusted_ca.filename', tls.trusted_ca.filename) } : {}),
    ...(tls.certificate_chain && tls.private_key
      ? { cert: read('certificate_chain.filename', tls.certificate_chain.filename), key: read('private_key.filename', tls.private_key.filename) }
      : {}),
  };
}

/**
 * undici's TLS connector for a cluster with `tls`, with the server name fixed by us: undici would
 * otherwise take it from each request's Host header — the client's — and verify the upstream's
 * certificate against a name the client chose (and reconnect whenever it changes). SNI is the
 * cluster's `sni`, else the host's own name; an IP host gets none and is verified by its address.
 */
export function upstreamConnector(cluster: string, tls: UpstreamTls, timeoutMs: number, allowH2 = false): buildConnector.connector {
  // '0.0.0.0': a placeholder IP, so the material carries no server name of its own. allowH2 offers
  // h2 by ALPN (undici's built-in connector would, but ours replaces it).
  const connect = buildConnector({ ...upstreamTlsOptions(cluster, tls, '0.0.0.0'), timeout: timeoutMs, allowH2 });
  // As in Envoy, an explicit HTTP/2 cluster speaks h2 only: a host that answers ALPN with
  // HTTP/1.1 fails the connection (a connect failure), rather than being sent pipelined HTTP/1.1
  // on a pool sized for h2 streams.
  return (opts, callback) => {
    const name = tls.sni ?? (isIP(opts.hostname.replace(/^\[|\]$/g, '')) === 0 ? opts.hostname : undefined);
    const rest = { ...opts };
    delete rest.servername;
    const cb: buildConnector.Callback = allowH2
      ? (err, socket) => {
          if (err || (socket as unknown as { alpnProtocol?: unknown }).alpnProtocol === 'h2') {
            (callback as (e: Error | null, s: unknown) => void)(err, socket);
            return;
          }
          socket.destroy();
          (callback as (e: Error, s: null) => void)(Object.assign(new Error('the host did not negotiate h2 by ALPN (the cluster has http2_protocol_options)'), { code: 'ERR_TLS_ALPN_NO_H2' }), null);
        }
      : callback;
    connect(name === undefined ? rest : { ...rest, servername: name }, cb);
  };
}
