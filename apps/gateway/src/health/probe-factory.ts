import { Agent } from 'undici';
import type { Probe, ProbeFactory } from '@brownout/core';
import type { ClusterConfig } from '@brownout/core/config';
import { HttpProbe } from './http-probe.ts';
import { TcpProbe } from './tcp-probe.ts';
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
      const probeAgent = tls ? tlsAgent(c.name, tls) : agent;
      return new HttpProbe(c.name, { path: h.path, host: h.host, method: h.method, receive: h.receive, tls: tls !== undefined }, probeAgent);
    }
    return new TcpProbe(hc.tcp_health_check?.send, hc.tcp_health_check?.receive);
  };
  const tlsAgents: Agent[] = [];
  /** One agent per HTTPS cluster (its CA, client certificate and verification). */
  function tlsAgent(cluster: string, tls: UpstreamTls): Agent {
    // The same connector as traffic: the server name is the cluster's `sni` or the host's own name,
    // never the probe's Host header (the cluster name).
    const a = new Agent({ keepAliveTimeout: 4_000, connections: 4, connect: upstreamConnector(cluster, tls, 5_000) });
    tlsAgents.push(a);
    return a;
  }
  return { factory, close: async () => { await Promise.all([agent, ...tlsAgents].map(a => a.close())); } };
}
