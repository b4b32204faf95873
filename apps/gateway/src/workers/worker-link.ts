import cluster from 'node:cluster';
import type { OutlierDetector } from '@brownout/core';
import type { GatewayConfig } from '@brownout/core/config';
import type { WorkerRole } from '../gateway-options.ts';
import type { Gateway } from '../gateway.ts';
import { shareOfConfig } from './limit-share.ts';
import type { FromWorker, HostCheck, SharedEjection, ToWorker } from './messages.ts';

const send = (m: FromWorker): void => {
  process.send?.(m);
};

/** What a worker's gateway is told it is (see GatewayOptions.worker). */
export function workerRole(workers: number): WorkerRole {
  return {
    shareConfig: (config: GatewayConfig) => shareOfConfig(config, workers),
    onFirstTraffic: (name: string) => {
      send({ type: 'brownout:traffic', cluster: name });
    },
  };
}

/**
 * The worker's side of the shared view of host health: it applies the primary's health-check
 * verdicts and other workers' ejections to its own engine, tells the primary about the ejections
 * its own traffic caused, and answers the admin calls and metric scrapes the primary forwards.
 */
export class WorkerLink {
  private readonly gw: Gateway;
  private readonly watched = new WeakSet<OutlierDetector>();
  private readonly watchTimer: NodeJS.Timeout;
  private readonly id = cluster.worker?.id ?? 0;
  private snapshotSeen: (() => void) | undefined;

  constructor(gw: Gateway) {
    this.gw = gw;
    process.on('message', (m: ToWorker) => {
      this.onMessage(m);
    });
    this.watch();
    // A reload can replace a cluster's detector; one look a second finds it (no per-request cost).
    this.watchTimer = setInterval(() => {
      this.watch();
    }, 1_000);
    this.watchTimer.unref();
  }

  /** Asks the primary for the current health and ejections, and resolves once they are applied. */
  snapshot(): Promise<void> {
    return new Promise(resolve => {
      this.snapshotSeen = resolve;
      send({ type: 'brownout:hello' });
    });
  }

  listening(): void {
    send({ type: 'brownout:listening' });
  }

  stop(): void {
    clearInterval(this.watchTimer);
  }

  private watch(): void {
    for (const c of this.gw.engine.clusters.values()) {
      const o = c.outlier;
      if (!o || this.watched.has(o)) continue;
      this.watched.add(o);
      o.onEvent(e => {
        if (e.peer || !e.enforced || e.overflow) return;
        if (e.action === 'eject' && e.type) {
          send({ type: 'brownout:ejected', ejection: { cluster: c.name, host: e.host.id, type: e.type, durationMs: e.durationMs, forAnswers: e.forAnswers } });
        } else if (e.action === 'uneject') {
          send({ type: 'brownout:unejected', cluster: c.name, host: e.host.id });
        }
      });
    }
  }

  private applyCheck(c: HostCheck): void {
    this.gw.engine.clusters.get(c.cluster)?.applyActiveHealthCheck(c.host, c.passed, c.flags);
  }

  private applyEjection(e: SharedEjection): void {
    const c = this.gw.engine.clusters.get(e.cluster);
    const host = c?.hostSet.hosts.find(h => h.id === e.host);
    if (c?.outlier && host) c.outlier.ejectFromPeer(host, e.type, e.durationMs, e.forAnswers);
  }

  private onMessage(m: ToWorker): void {
    switch (m.type) {
      case 'brownout:hc':
        this.applyCheck(m.check);
        return;
      case 'brownout:eject':
        if (m.ejection.worker !== this.id) this.applyEjection(m.ejection);
        return;
      case 'brownout:uneject': {
        if (m.worker === this.id) return;
        const c = this.gw.engine.clusters.get(m.cluster);
        const host = c?.hostSet.hosts.find(h => h.id === m.host);
        if (c?.outlier && host) c.outlier.unejectFromPeer(host);
        return;
      }
      case 'brownout:snapshot':
        for (const c of m.checks) this.applyCheck(c);
        for (const e of m.ejections) this.applyEjection(e);
        this.snapshotSeen?.();
        this.snapshotSeen = undefined;
        return;
      case 'brownout:admin':
        void this.gw.adminApp
          .inject({ method: m.call.method as 'GET', url: m.call.url, headers: m.call.headers, ...(m.call.body === '' ? {} : { payload: m.call.body }) })
          .then(
            r => {
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
              send({ type: 'brownout:admin-answer', id: m.id, answer: { status: r.statusCode, headers, body: r.body } });
            },
            (err: unknown) => {
              send({ type: 'brownout:admin-answer', id: m.id, answer: { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'worker_error', message: String(err) } }) } });
            },
          );
        return;
      case 'brownout:metrics':
        void this.gw.metrics.registry.getMetricsAsJSON().then(metrics => {
          send({ type: 'brownout:metrics-answer', id: m.id, metrics });
        });
        return;
      case 'brownout:reload':
        void this.gw.reloadFromFile();
        return;
      case 'brownout:shutdown':
        this.stop();
        void this.gw.close(m.drainMs).finally(() => process.exit(0));
        return;
    }
  }
}
