/**
 * Which policy costs what, one at a time: the minimal config plus a single policy of the bench's
 * "every policy" config, each as its own gateway, against bare @fastify/http-proxy and the two
 * ends (minimal, every). Same method as proxy.bench.ts: each proxy alone on pinned CPU 1 while it
 * is measured, wrk and an nginx upstream on CPU 0, interleaved ABBA rounds, medians of same-round
 * differences. It answers issue 27's open question (p99 at c50 with every policy above bare's while
 * the minimal config is below it) and is the check to run when a policy's per-request cost changes.
 * Throughput from per-CPU rounds as there; p99 from short interleaved windows (bench-kit's tailRounds).
 * Run: npm run bench:policies -w @brownout/gateway  (~15 min; BENCH_ROUNDS, BENCH_TAIL_ROUNDS, BENCH_POLICIES=a,b)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { assertFree, bareProxyScript, benchGatewayConfig, median, minimalGatewayConfig, need, nginxConf, start, tailRounds, versus, waitFor, wrkClosed, type WrkResult } from './bench-kit.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 1);
const MEASURE_S = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = 50;
const UPSTREAM = 18180;
const FIRST_PORT = 18181;
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

type Config = Record<string, unknown> & { clusters: Record<string, unknown>[]; routes: Record<string, unknown>[] };

/** Each policy of the bench config, as the fields it adds to the minimal config's cluster or route. */
const POLICIES = ((): Record<string, { cluster?: Record<string, unknown>; route?: Record<string, unknown> }> => {
  const every = benchGatewayConfig(0, 0) as Config;
  const c = every.clusters[0]!;
  const r = every.routes[0]!;
  return {
    outlier_detection: { cluster: { outlier_detection: c.outlier_detection } },
    health_checks: { cluster: { health_checks: c.health_checks } },
    cluster_circuit_breakers: { cluster: { circuit_breakers: c.circuit_breakers } },
    timeout: { route: { timeout: r.timeout } },
    retry_policy: { route: { retry_policy: r.retry_policy } },
    route_circuit_breaker: { route: { circuit_breaker: r.circuit_breaker } },
    rate_limit: { route: { rate_limit: r.rate_limit } },
    fault: { route: { fault: r.fault } },
    degradation: { route: { degradation: r.degradation, priority: r.priority } },
  };
})();

function withPolicy(port: number, name: string): Config {
  const cfg = minimalGatewayConfig(port, UPSTREAM) as Config;
  const p = POLICIES[name]!;
  Object.assign(cfg.clusters[0]!, p.cluster ?? {});
  Object.assign(cfg.routes[0]!, p.route ?? {});
  return cfg;
}

['wrk', 'nginx', 'taskset'].forEach(need);
const only = process.env.BENCH_POLICIES?.split(',').map(s => s.trim());
const policyNames = Object.keys(POLICIES).filter(n => !only || only.includes(n));
const cases = ['bare', 'minimal', 'every', ...policyNames.map(n => `+${n}`)];
const port = new Map(cases.map((c, i) => [c, FIRST_PORT + i]));
for (const p of [UPSTREAM, ...port.values()]) await assertFree(p);

const dir = mkdtempSync(join(tmpdir(), 'brownout-policy-bench-'));
start(0, 'nginx', ['-c', nginxConf(dir, 'upstream', `server { listen 127.0.0.1:${UPSTREAM}; location / { return 200 'hello world'; } }`)]);
await waitFor(UPSTREAM);

const procs = new Map<string, ChildProcess>();
for (const c of cases) {
  const p = port.get(c)!;
  if (c === 'bare') {
    procs.set(c, start(1, process.execPath, [bareProxyScript(), `http://127.0.0.1:${UPSTREAM}`, String(p)]));
    continue;
  }
  const cfg = c === 'minimal' ? minimalGatewayConfig(p, UPSTREAM) : c === 'every' ? benchGatewayConfig(p, UPSTREAM) : withPolicy(p, c.slice(1));
  // Admin ports: one per gateway, well clear of the listeners.
  (cfg.admin as Record<string, unknown>).port = p + 200;
  const f = join(dir, `${c.replace('+', 'with-')}.yaml`);
  writeFileSync(f, stringify(cfg));
  procs.set(c, start(1, process.execPath, [join(DIST, 'main.js'), '--config', f, '--access-log', 'off']));
}
for (const c of cases) await waitFor(port.get(c)!, '/bench');

const runs = new Map<string, WrkResult[]>(cases.map(c => [c, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const c of round % 2 === 1 ? cases : [...cases].reverse()) {
    wrkClosed(port.get(c)!, WARMUP_S, CONNECTIONS);
    const r = wrkClosed(port.get(c)!, MEASURE_S, CONNECTIONS, procs.get(c)!.pid);
    runs.get(c)!.push(r);
    process.stdout.write(`round ${round} ${c.padEnd(26)} ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.p99.toFixed(2).padStart(6)}ms  cpu ${(r.cpu * 100).toFixed(0)}%\n`);
  }
}
const TAIL_ROUNDS = Number(process.env.BENCH_TAIL_ROUNDS ?? 16);
const TAIL_S = Number(process.env.BENCH_TAIL_SECONDS ?? 3);
const tail = tailRounds(cases.map(c => ({ name: c, port: port.get(c)! })), TAIL_ROUNDS, TAIL_S, CONNECTIONS, line => process.stdout.write(`${line}\n`));

const bare = runs.get('bare')!;
const perCpu = (r: WrkResult): number => r.rps / r.cpu;
const summary = cases.map(c => {
  const rs = runs.get(c)!;
  return {
    case: c,
    per_cpu_vs_bare: median(rs.map((r, i) => perCpu(r) / perCpu(bare[i]!))),
    tail_p99_ms: median(tail.get(c)!),
    tail_p99_above_bare: versus(tail.get(c)!, tail.get('bare')!),
  };
});
process.stdout.write(`\n${'case'.padEnd(26)} per CPU-s vs bare (${ROUNDS} rounds)   p99   p99 − bare   rounds at or below bare (${TAIL_ROUNDS} rounds of ${TAIL_S} s)\n`);
for (const s of summary) {
  const t = s.tail_p99_above_bare;
  process.stdout.write(`${s.case.padEnd(26)} ${(s.per_cpu_vs_bare * 100).toFixed(1).padStart(8)}%   ${s.tail_p99_ms.toFixed(2).padStart(14)}ms ${t.median.toFixed(2).padStart(8)}ms   ${t.atOrBelow}\n`);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./results/${process.env.BENCH_OUT ?? 'policy-tail.json'}`, import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, warmup_s: WARMUP_S, measure_s: MEASURE_S, tail_rounds: TAIL_ROUNDS, tail_seconds: TAIL_S, connections: CONNECTIONS, summary, rounds_raw: Object.fromEntries(runs), tail_raw: Object.fromEntries(tail) }, null, 2) + '\n',
);
process.exit(0);
