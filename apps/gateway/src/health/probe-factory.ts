import { Agent } from 'undici';
import type { Probe, ProbeFactory } from '@brownout/core';
import type { ClusterConfig } from '@brownout/core/config';
import { HttpProbe } from './http-probe.ts';
import { TcpProbe } from './tcp-probe.ts';

/** Builds real probes for the engine's health checkers; owns the probes' connection agent. */
export function createProbeFactory(): { factory: ProbeFactory; close(): Promise<void> } {
  const agent = new Agent({ keepAliveTimeout: 4_000, connections: 4 });
  const factory = (c: ClusterConfig): Probe => {
    const hc = c.health_checks[0]!;
    if (hc.http_health_check) {
      const h = hc.http_health_check;
      return new HttpProbe(c.name, { path: h.path, host: h.host, method: h.method, receive: h.receive }, agent);
    }
    return new TcpProbe(hc.tcp_health_check?.send, hc.tcp_health_check?.receive);
  };
  return { factory, close: () => agent.close() };
}
