/**
 * Open-loop load at a fixed rate, measuring each request's latency from its *intended* send time,
 * so a stall is not hidden by the generator waiting (coordinated omission). wrk is closed-loop and
 * cannot do this; wrk2 is not packaged on Debian.
 * Usage: node open-loop.js <url> <rate/s> <seconds> [connections]  → prints JSON {sent, ok, errors, p50_ms, p90_ms, p99_ms, max_ms}
 */
import { Pool } from 'undici';

const [url, rateArg, secondsArg, connArg] = process.argv.slice(2);
const u = new URL(url!);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const pool = new Pool(u.origin, { connections: Number(connArg ?? 50), pipelining: 1 });
const latencies: number[] = [];
let errors = 0;
let ok = 0;
const total = Math.floor(rate * seconds);
const interval = 1000 / rate;
const start = performance.now();
let sent = 0;
const inflight = new Set<Promise<void>>();

function fire(intended: number): void {
  const p = pool
    .request({ path: u.pathname + u.search, method: 'GET' })
    .then(async r => {
      await r.body.dump();
      if (r.statusCode === 200) ok++;
      else errors++;
      latencies.push(performance.now() - intended);
    })
    .catch(() => {
      errors++;
    })
    .finally(() => inflight.delete(p));
  inflight.add(p);
}

await new Promise<void>(resolve => {
  const tick = (): void => {
    const now = performance.now();
    // Send every request whose intended time has come; a late tick sends the backlog at once.
    while (sent < total && start + sent * interval <= now) {
      fire(start + sent * interval);
      sent++;
    }
    if (sent >= total) resolve();
    else setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
  };
  tick();
});
await Promise.all(inflight);
await pool.close();
latencies.sort((a, b) => a - b);
const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
process.stdout.write(JSON.stringify({ sent, ok, errors, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: latencies.at(-1) ?? NaN }) + '\n');
