/**
 * Per-request engine overhead: admission (rate limit, state-machine breaker, cluster limits),
 * host pick, and outcome recording (outlier detector, breaker, limits release) — everything the
 * gateway asks of core for one request, with the real clock. Run: npm run bench -w @brownout/core
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { Engine, emptyRateLimitResult, isNoHealthyHost, systemClock, systemRandom, Admission, type Host } from '../src/index.ts';
import { parseConfig } from '../src/config/index.ts';

function buildEngine(hosts: number) {
  const cfg = parseConfig({
    clusters: [
      {
        name: 'c',
        hosts: Array.from({ length: hosts }, (_, i) => `10.0.${i >> 8}.${i & 255}:8080`),
        lb_policy: 'LEAST_REQUEST',
        outlier_detection: { max_ejection_percent: 50 },
      },
    ],
    routes: [
      {
        name: 'r',
        match: { prefix: '/' },
        cluster: 'c',
        circuit_breaker: { consecutive_failures: 50 },
        rate_limit: { token_bucket: { max_tokens: 1_000_000_000, tokens_per_fill: 1_000_000_000, fill_interval: '1s' } },
      },
    ],
  });
  const engine = new Engine(cfg, { clock: systemClock, random: systemRandom });
  engine.start();
  return engine;
}

function run(hosts: number, iterations: number, failureEvery: number): number {
  const engine = buildEngine(hosts);
  const route = engine.route('r')!;
  const cluster = route.cluster;
  const limits = cluster.limits.default;
  const breaker = route.breaker!;
  const limiter = route.rateLimiter!;
  const rl = emptyRateLimitResult();
  const keys = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'];
  let sink = 0;
  const once = (i: number): void => {
    const now = systemClock.now();
    if (!limiter.check(keys[i & 3]!, now, rl).allowed) return;
    if (!breaker.tryAcquire()) return;
    if (limits.tryAcquireRequest() !== Admission.Admitted) return;
    const picked = cluster.pick();
    if (isNoHealthyHost(picked)) return;
    const host: Host = picked;
    host.activeRequests++;
    const status = failureEvery > 0 && i % failureEvery === 0 ? 503 : 200;
    cluster.recordResponse(host, status);
    if (status >= 500) breaker.onFailure(1);
    else breaker.onSuccess(1);
    host.activeRequests--;
    limits.releaseRequest();
    sink += host.port;
  };
  for (let i = 0; i < 200_000; i++) once(i); // warm up the JIT
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) once(i);
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  engine.stop();
  if (sink === 42) console.log('');
  return ns;
}

const iterations = Number(process.env.BENCH_ITERATIONS ?? 2_000_000);
const results = [
  { case: '3 hosts, all healthy', ns_per_op: run(3, iterations, 0) },
  { case: '100 hosts, all healthy', ns_per_op: run(100, iterations, 0) },
  { case: '3 hosts, 1% 503s', ns_per_op: run(3, iterations, 100) },
  { case: '100 hosts, 1% 503s', ns_per_op: run(100, iterations, 100) },
];
console.log('engine overhead per request (rate limit + breaker + limits + pick + record):');
for (const r of results) console.log(`  ${r.case.padEnd(24)} ${r.ns_per_op.toFixed(0).padStart(6)} ns/op`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/engine.json', import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, iterations, results }, null, 2) + '\n',
);
