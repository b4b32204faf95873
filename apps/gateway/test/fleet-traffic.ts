import type { RunningGateway } from './harness.ts';

export interface TrafficReport {
  /** Requests answered. */
  served: number;
  /** Answers other than the expected one, as `gateway path status`. */
  wrong: string[];
}

/**
 * Paced client traffic through a fleet: `perSecond` requests a second spread round-robin over the
 * gateways, each path in turn, every answer checked against `expect` (the status the switches in
 * force say). Requests are not serialised: a slow answer does not slow the pace.
 */
export function pacedTraffic(gateways: readonly RunningGateway[], perSecond: number, expect: Record<string, number>): { stop(): Promise<TrafficReport> } {
  const report: TrafficReport = { served: 0, wrong: [] };
  const paths = Object.keys(expect);
  const inflight = new Set<Promise<void>>();
  let n = 0;
  const t0 = performance.now();
  const timer = setInterval(() => {
    // Catch up to the schedule each tick (timers drift under load).
    const due = Math.floor(((performance.now() - t0) * perSecond) / 1_000);
    for (; n < due; n++) {
      const g = gateways[n % gateways.length]!;
      const path = paths[n % paths.length]!;
      const p = g.get(path).then(
        r => {
          report.served++;
          if (r.status !== expect[path]) report.wrong.push(`gw${gateways.indexOf(g)} ${path} ${r.status}`);
        },
        (e: unknown) => {
          report.wrong.push(`gw${gateways.indexOf(g)} ${path} ${e instanceof Error ? e.message : String(e)}`);
        },
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
  }, 5);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inflight);
      return report;
    },
  };
}
