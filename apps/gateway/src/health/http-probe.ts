import { request, type Agent } from 'undici';
import type { Probe, ProbeOutcome } from '@brownout/core';

export interface HttpProbeOptions {
  readonly path: string;
  readonly host?: string | undefined;
  readonly method: 'GET' | 'HEAD';
  readonly receive?: string | undefined;
  /** The cluster speaks HTTPS (its agent carries the CA and client certificate). */
  readonly tls?: boolean | undefined;
}

/** Reads at most this much of a health response body looking for `receive` (Envoy's default). */
const RESPONSE_BUFFER = 1024;

/**
 * Active HTTP health check: one request per check on a dedicated keep-alive agent, so probes never
 * queue behind (or steal connections from) client traffic.
 */
export class HttpProbe implements Probe {
  private readonly opts: HttpProbeOptions;
  private readonly agent: Agent;
  private readonly clusterName: string;

  constructor(clusterName: string, opts: HttpProbeOptions, agent: Agent) {
    this.clusterName = clusterName;
    this.opts = opts;
    this.agent = agent;
  }

  async check(address: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
    try {
      const res = await request(`${this.opts.tls ? 'https' : 'http'}://${address}:${port}${this.opts.path}`, {
        method: this.opts.method,
        headers: { host: this.opts.host ?? this.clusterName, 'user-agent': 'Brownout/HC' },
        signal,
        dispatcher: this.agent,
      });
      let bodyMatched: boolean | undefined;
      if (this.opts.receive !== undefined) {
        let text = '';
        for await (const chunk of res.body) {
          text += (chunk as Buffer).toString('utf8');
          if (text.length >= RESPONSE_BUFFER) break;
        }
        bodyMatched = text.slice(0, RESPONSE_BUFFER).includes(this.opts.receive);
        res.body.destroy();
      } else {
        await res.body.dump();
      }
      return {
        kind: 'http',
        status: res.statusCode,
        degraded: res.headers['x-envoy-degraded'] !== undefined || res.headers['x-brownout-degraded'] !== undefined,
        immediateFail: res.headers['x-envoy-immediate-health-check-fail'] !== undefined,
        ...(bodyMatched !== undefined && { bodyMatched }),
      };
    } catch (err) {
      return { kind: 'network_failure', detail: err instanceof Error ? err.message : String(err) };
    }
  }
}
