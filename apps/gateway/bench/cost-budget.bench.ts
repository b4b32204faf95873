/**
 * The cost budget per request (issue 27): µs of CPU and bytes allocated per request, split by whose
 * code spends them — Fastify, reply-from/@fastify/http-proxy, undici, Brownout (by module area),
 * Node's core, native code, V8's garbage collector — for the gateway with every policy on, the
 * gateway with the minimal config (one route, one cluster, nothing else) and bare
 * @fastify/http-proxy, over HTTP/1.1 (wrk) and h2 over TLS (h2load). Same method as proxy.bench.ts
 * (perf.md §4): each proxy alone on CPU 1, load and an nginx upstream on CPU 0. V8's CPU profiler
 * and sampling heap profiler are started over the inspector around exactly the measured window (in
 * separate windows, so the heap sampler's cost is not in the CPU figures); a third window, with no
 * profiler running, reads GC pauses from perf_hooks (bench/gc-meter.ts), the GC figure judged.
 * Run: npm run bench:budget -w @brownout/gateway. Writes bench/results/cost-budget.json and a flame
 * graph of the gateway over HTTP/1.1 (bench/results/flame-gateway-http1.svg).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { stringify } from 'yaml';
import { assertFree, bareProxyScript, benchGatewayConfig, cpuTicks, median, minimalGatewayConfig, need, nginxConf, plainScript, start } from './bench-kit.ts';
import { InspectorSession, type CpuProfile, type HeapProfile } from './inspector-session.ts';
import { CATEGORIES, allocationCost, cpuCost, type Category } from './cost-attribution.ts';
import { flameGraphSvg } from './flame-graph.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * V8's default CPU sampling interval (1 ms): thousands of samples per window are plenty, and at
 * 100 µs the profiler's own interruptions added ~40% to every proxy's CPU per request.
 */
const CPU_SAMPLING_US = Number(process.env.BENCH_CPU_SAMPLING_US ?? 1000);
const HEAP_SAMPLING_BYTES = 8192;
const UPSTREAM = 18280;
const PROTOCOLS = ['http1', 'h2'] as const;
type Protocol = (typeof PROTOCOLS)[number];
const PROXIES = ['gateway-all', 'gateway-minimal', 'bare'] as const;
type Proxy = (typeof PROXIES)[number];
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const GC_METER = plainScript('gc-meter');
const dir = mkdtempSync(join(tmpdir(), 'brownout-budget-'));
['wrk', 'h2load', 'nginx', 'taskset', 'openssl'].forEach(need);

const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });

interface Case {
  readonly protocol: Protocol;
  readonly proxy: Proxy;
  readonly port: number;
  readonly inspect: number;
  proc?: ChildProcess;
  session?: InspectorSession;
}
const cases: Case[] = [];
let n = 0;
for (const protocol of PROTOCOLS) for (const proxy of PROXIES) cases.push({ protocol, proxy, port: 18281 + n, inspect: 19281 + n++ });
for (const p of [UPSTREAM, ...cases.map(c => c.port)]) await assertFree(p);

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>(r => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => {
        r(false);
      });
    });
    if (ok) return;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** A load run: requests completed and the proxy's CPU seconds (all its threads, from /proc). */
function load(c: Case, seconds: number): { requests: number; cpuS: number } {
  const before = cpuTicks(c.proc!.pid!);
  let requests: number;
  if (c.protocol === 'h2') {
    const out = execFileSync('taskset', ['-c', '0', 'h2load', '-t1', '-c10', '-m10', '-D', String(seconds), `https://127.0.0.1:${c.port}/bench`], { encoding: 'utf8' });
    const m = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
    if (!m || m[2] !== '0' || m[3] !== '0') throw new Error(`h2load through ${c.proxy}:\n${out}`);
    requests = Number(m[1]);
  } else {
    const out = execFileSync('taskset', ['-c', '0', 'wrk', '-t1', '-c50', `-d${seconds}s`, `http://127.0.0.1:${c.port}/bench`], { encoding: 'utf8' });
    if (/Non-2xx|Socket errors/.test(out)) throw new Error(`wrk through ${c.proxy}:\n${out}`);
    requests = Number(/(\d+) requests in/.exec(out)![1]);
  }
  return { requests, cpuS: (cpuTicks(c.proc!.pid!) - before) / 100 };
}

// ---- upstream and proxies ---------------------------------------------------------------------
start(0, 'nginx', ['-c', nginxConf(dir, 'upstream', `server { listen 127.0.0.1:${UPSTREAM}; location / { return 200 'hello world'; } }`)]);
await waitForPort(UPSTREAM);
const BARE = bareProxyScript();
const tls = { certificate_chain: { filename: cert }, private_key: { filename: key } };
for (const c of cases) {
  // --import: GC pauses summed in the process, read over the inspector after an unprofiled window.
  const inspect = `--inspect=127.0.0.1:${c.inspect}`;
  const gcMeter = `--import=${GC_METER}`;
  if (c.proxy === 'bare') {
    c.proc = start(1, process.execPath, [inspect, gcMeter, BARE, `http://127.0.0.1:${UPSTREAM}`, String(c.port), ...(c.protocol === 'h2' ? [cert, key, 'h2'] : [])]);
  } else {
    const config = (c.proxy === 'gateway-all' ? benchGatewayConfig(c.port, UPSTREAM) : minimalGatewayConfig(c.port, UPSTREAM)) as { listener: Record<string, unknown> };
    if (c.protocol === 'h2') config.listener = { ...config.listener, tls };
    const f = join(dir, `${c.protocol}-${c.proxy}.yaml`);
    writeFileSync(f, stringify(config));
    c.proc = start(1, process.execPath, [inspect, gcMeter, join(DIST, 'main.js'), '--config', f, '--access-log', 'off']);
  }
}
for (const c of cases) {
  await waitForPort(c.port);
  c.session = await InspectorSession.connect(c.inspect);
  await c.session.send('Profiler.enable');
  await c.session.send('Profiler.setSamplingInterval', { interval: CPU_SAMPLING_US });
  await c.session.send('HeapProfiler.enable');
}

// ---- measured windows, interleaved rounds -----------------------------------------------------
interface Round {
  rps: number;
  /** Total CPU per request from /proc (every thread). */
  cpu_us: number;
  /** Main-thread CPU per request by category, from the CPU profile. */
  profile_us: Record<Category, number>;
  brownout_areas_us: Record<string, number>;
  /** Bytes allocated per request by category, from the sampling heap profile. */
  alloc_bytes: Record<Category, number>;
  alloc_total_bytes: number;
  brownout_alloc_areas: Record<string, number>;
  /** GC pause per request in a window with no profiler running (perf_hooks' gc entries). */
  gc_unprofiled_us: number;
}
async function gcPauseMs(s: InspectorSession): Promise<number> {
  const r = await s.send<{ result: { value: number } }>('Runtime.evaluate', { expression: 'globalThis.__brownoutBenchGc.ms', returnByValue: true });
  return r.result.value;
}
const rounds = new Map<Case, Round[]>(cases.map(c => [c, []]));
let flame: { profile: CpuProfile; selfUs: Map<number, number>; requests: number } | undefined;
const perRequest = <K extends string>(o: Record<K, number>, requests: number): Record<K, number> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, (v as number) / requests])) as Record<K, number>;

for (let round = 1; round <= ROUNDS; round++) {
  for (const c of cases) {
    const s = c.session!;
    load(c, WARMUP_S);
    await s.send('Profiler.start');
    const run = load(c, SECONDS);
    const { profile } = await s.send<{ profile: CpuProfile }>('Profiler.stop');
    const cost = cpuCost(profile);
    // BENCH_PROFILES=<dir> keeps each window's profile, for Chrome DevTools or a closer look.
    if (process.env.BENCH_PROFILES) writeFileSync(join(process.env.BENCH_PROFILES, `${c.protocol}-${c.proxy}-${round}.cpuprofile`), JSON.stringify(profile));
    await s.send('HeapProfiler.startSampling', { samplingInterval: HEAP_SAMPLING_BYTES, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const heapRun = load(c, Math.max(2, Math.round(SECONDS / 2)));
    const { profile: heap } = await s.send<{ profile: HeapProfile }>('HeapProfiler.stopSampling');
    const alloc = allocationCost(heap, HEAP_SAMPLING_BYTES);
    const gcBefore = await gcPauseMs(s);
    const plainRun = load(c, SECONDS);
    const gcUs = ((await gcPauseMs(s)) - gcBefore) * 1000;
    if (process.env.BENCH_PROFILES) writeFileSync(join(process.env.BENCH_PROFILES, `${c.protocol}-${c.proxy}-${round}.heapprofile`), JSON.stringify(heap));
    const r: Round = {
      rps: run.requests / SECONDS,
      cpu_us: (run.cpuS * 1e6) / run.requests,
      profile_us: perRequest(cost.byCategory, run.requests),
      brownout_areas_us: perRequest(cost.byArea, run.requests),
      alloc_bytes: perRequest(alloc.byCategory, heapRun.requests),
      alloc_total_bytes: alloc.total / heapRun.requests,
      brownout_alloc_areas: perRequest(alloc.byArea, heapRun.requests),
      gc_unprofiled_us: gcUs / plainRun.requests,
    };
    rounds.get(c)!.push(r);
    if (c.protocol === 'http1' && c.proxy === 'gateway-all' && round === ROUNDS) flame = { profile, selfUs: cost.selfUs, requests: run.requests };
    process.stdout.write(`round ${round} ${c.protocol.padEnd(5)} ${c.proxy.padEnd(15)} ${r.rps.toFixed(0).padStart(6)} req/s  ${r.cpu_us.toFixed(1).padStart(6)} µs CPU/request  ${(r.alloc_total_bytes / 1024).toFixed(1).padStart(5)} KiB allocated/request\n`);
  }
}

// ---- report -----------------------------------------------------------------------------------
const med = (c: Case, f: (r: Round) => number): number => median(rounds.get(c)!.map(f));
const fmt = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : '-');
const report: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, rounds: ROUNDS, measure_s: SECONDS, cpu_sampling_us: CPU_SAMPLING_US, heap_sampling_bytes: HEAP_SAMPLING_BYTES, protocols: {} };
for (const protocol of PROTOCOLS) {
  const row = cases.filter(c => c.protocol === protocol);
  const areas = [...new Set(row.flatMap(c => rounds.get(c)!.flatMap(r => Object.keys(r.brownout_areas_us))))].sort();
  process.stdout.write(`\n${protocol}: µs of CPU per request (median of ${ROUNDS} rounds; main thread by whose code, from V8's profiler)\n`);
  process.stdout.write(`${''.padEnd(22)}${row.map(c => c.proxy.padStart(16)).join('')}\n`);
  const line = (label: string, f: (r: Round) => number, d = 2): void => {
    process.stdout.write(`${label.padEnd(22)}${row.map(c => fmt(med(c, f), d).padStart(16)).join('')}\n`);
  };
  for (const k of CATEGORIES) line(k, r => r.profile_us[k]);
  line('GC, unprofiled', r => r.gc_unprofiled_us);
  line('main thread, total', r => CATEGORIES.reduce((s, k) => s + r.profile_us[k], 0));
  line('process (/proc)', r => r.cpu_us);
  line('req/s (profiled)', r => r.rps, 0);
  process.stdout.write(`Brownout's part by module area (µs/request)\n`);
  for (const a of areas) line(`  ${a}`, r => r.brownout_areas_us[a] ?? 0);
  process.stdout.write(`bytes allocated per request (sampling heap profiler, GC'd objects included)\n`);
  for (const k of CATEGORIES) line(`  ${k}`, r => r.alloc_bytes[k], 0);
  line('  total', r => r.alloc_total_bytes, 0);
  const allocAreas = [...new Set(row.flatMap(c => rounds.get(c)!.flatMap(r => Object.keys(r.brownout_alloc_areas))))].sort();
  for (const a of allocAreas) line(`    ${a}`, r => r.brownout_alloc_areas[a] ?? 0, 0);
  const bare = row.find(c => c.proxy === 'bare')!;
  const ratios: Record<string, Record<string, number>> = {};
  for (const c of row.filter(x => x.proxy !== 'bare')) {
    // Same-round ratios, as the throughput figure: a slow spell of the VM that lands on one case
    // stretches its µs (GC included), not the ratio of two cases measured side by side.
    const sameRound = (f: (r: Round) => number): number => median(rounds.get(c)!.map((r, i) => f(r) / f(rounds.get(bare)![i]!)));
    const v = (ratios[c.proxy] = { cpu: sameRound(r => r.cpu_us), gc_unprofiled: sameRound(r => r.gc_unprofiled_us), gc_profiled: sameRound(r => r.profile_us.gc), bytes: sameRound(r => r.alloc_total_bytes) });
    process.stdout.write(`${c.proxy} / bare, median of same-round ratios: CPU per request ${fmt(v.cpu, 3)}×, GC per request ${fmt(v.gc_unprofiled, 2)}× unprofiled (${fmt(v.gc_profiled, 2)}× profiled), bytes per request ${fmt(v.bytes, 2)}×\n`);
  }
  (report.protocols as Record<string, unknown>)[protocol] = Object.fromEntries([
    ['vs_bare_same_round', ratios],
    ...row.map(c => [
      c.proxy,
      {
        rps: med(c, r => r.rps),
        cpu_us_per_request: med(c, r => r.cpu_us),
        profile_us_per_request: Object.fromEntries(CATEGORIES.map(k => [k, med(c, r => r.profile_us[k])])),
        brownout_areas_us_per_request: Object.fromEntries(areas.map(a => [a, med(c, r => r.brownout_areas_us[a] ?? 0)])),
        alloc_bytes_per_request: Object.fromEntries(CATEGORIES.map(k => [k, med(c, r => r.alloc_bytes[k])])),
        alloc_total_bytes_per_request: med(c, r => r.alloc_total_bytes),
        gc_unprofiled_us_per_request: med(c, r => r.gc_unprofiled_us),
        rounds: rounds.get(c),
      },
    ]),
  ]);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/${process.env.BENCH_OUT ?? 'cost-budget.json'}`, import.meta.url), JSON.stringify(report, null, 2) + '\n');
if (flame) {
  writeFileSync(
    new URL('./results/flame-gateway-http1.svg', import.meta.url),
    flameGraphSvg(flame.profile, flame.selfUs, flame.requests, `Brownout gateway, every policy on, HTTP/1.1 (wrk -c50), ${SECONDS} s, ${flame.requests} requests: width = CPU time`),
  );
}
for (const c of cases) c.session?.close();
process.exit(0);
