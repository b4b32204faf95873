/**
 * Open-loop load: requests start at a fixed rate whatever the proxy does (a closed loop would slow
 * down exactly when the proxy struggles and hide the failures). Latency is measured from when a
 * request was due, not when it went out, so a stalled client never under-reports (no coordinated
 * omission). Bounded in count (rate × duration) and time (duration + the client timeout).
 */
import { Pool } from 'undici';

export interface Sample {
  /** Epoch ms the request was due. */
  readonly at: number;
  /** ms from due to complete answer (or to the failure). */
  readonly ms: number;
  /** HTTP status; 0 when the request failed without one (error or client timeout). */
  readonly status: number;
  /** Answered with `x-brownout-degraded` (a fallback, not the upstream). */
  readonly degraded: boolean;
  /** Which of the `targets` it went to (the fleet scenario spreads over several). */
  readonly target: number;
}

export interface LoadOptions {
  readonly targets: readonly string[];
  readonly rate: number;
  readonly durationMs: number;
  readonly timeoutMs: number;
  /** Epoch ms to start at (the runner aligns the fault timeline to it). */
  readonly startAt: number;
}

const epochNow = (): number => performance.timeOrigin + performance.now();

export async function openLoop(o: LoadOptions): Promise<Sample[]> {
  const pools = o.targets.map(t => new Pool(t, { connections: 512, pipelining: 1, keepAliveTimeout: 30_000 }));
  const total = Math.floor((o.rate * o.durationMs) / 1000);
  const samples: Sample[] = [];
  const pending: Promise<void>[] = [];
  let sent = 0;
  const fire = (i: number): void => {
    const at = o.startAt + (i * 1000) / o.rate;
    const target = i % pools.length;
    pending.push(
      pools[target]!
        .request({ path: `/api/items/${i}`, method: 'GET', headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs, signal: AbortSignal.timeout(o.timeoutMs) })
        .then(
          async r => {
            await r.body.dump();
            samples.push({ at, ms: epochNow() - at, status: r.statusCode, degraded: r.headers['x-brownout-degraded'] !== undefined, target });
          },
          () => {
            samples.push({ at, ms: epochNow() - at, status: 0, degraded: false, target });
          },
        ),
    );
  };
  await new Promise(r => setTimeout(r, Math.max(0, o.startAt - epochNow())));
  await new Promise<void>(resolve => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((epochNow() - o.startAt) * o.rate) / 1000) + 1);
      while (sent < due) fire(sent++);
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 2);
    tick();
  });
  await Promise.all(pending);
  await Promise.all(pools.map(p => p.destroy()));
  return samples.sort((a, b) => a.at - b.at);
}
