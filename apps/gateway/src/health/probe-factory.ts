import { Agent } from 'undici';
import type { Probe, ProbeFactory } from '@brownout/core';
import type { ClusterConfig } from '@brownout/core/config';
import { HttpProbe } from './http-probe.ts';
import { TcpProbe } from './tcp-probe.ts';
import { GrpcProbe } from './grpc-probe.ts';
import { upstreamConnector, type UpstreamTls } from '../proxy/upstream-tls.ts';

/** Builds real probes for the engine's health checkers; owns the probes' connection agent. */
export function createProbeFactory(): { factory: ProbeFactory; close(): Promise<void> } {
  const agent = new Agent({ keepAliveTimeout: 4_000, connections: 4 });
  const factory = (c: ClusterConfig): Probe => {
    const hc = c.health_checks[0]!;
    if (hc.http_health_check) {
      const h = hc.http_health_check;
      const tls = c.tls;
      // HTTPS clusters are checked over the same TLS as their traffic (CA, SNI, client certificate).
      const h2 = c.http2_protocol_options !== undefined;
      const probeAgent = tls || h2 ? ownAgent(c.name, tls, h2) : agent;
      return new HttpProbe(c.name, { path: h.path, host: h.host, method: h.method, receive: h.receive, tls: tls !== undefined }, probeAgent);
    }
    if (hc.grpc_health_check) {
      // gRPC runs over h2 (the schema insists on http2_protocol_options): the cluster's own agent.
      const g = hc.grpc_health_check;
      return new GrpcProbe(c.name, { serviceName: g.service_name, authority: g.authority, tls: c.tls !== undefined }, ownAgent(c.name, c.tls, true));
    }
    return new TcpProbe(hc.tcp_health_check?.send, hc.tcp_health_check?.receive);
  };
  const ownAgents: Agent[] = [];
  /** One agent per HTTPS or HTTP/2 cluster (its CA, client certificate and verification; its protocol). */
  function ownAgent(cluster: string, tls: UpstreamTls | undefined, h2: boolean): Agent {
    // The same connector as traffic: the server name is the cluster's `sni` or the host's own name,
    // never the probe's Host header (the cluster name). An h2 cluster is checked over h2, so a host
    // that speaks only h2 passes.
    const a = new Agent({
      keepAliveTimeout: 4_000,
      connections: 4,
      // useH2c: undici's connector honours it; its BuildOptions type omits it.
      connect: tls ? upstreamConnector(cluster, tls, 5_000, h2) : ({ useH2c: h2 } as object),
      allowH2: h2,
    });
    ownAgents.push(a);
    return a;
  }
  return { factory, close: async () => { await Promise.all([agent, ...ownAgents].map(a => a.close())); } };
}
