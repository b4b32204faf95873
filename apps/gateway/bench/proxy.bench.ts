/**
 * Throughput and latency of the gateway against bare @fastify/http-proxy, nginx and HAProxy, in one
 * run, following ../shared/perf.md §4: the proxy under test alone on CPU 1, wrk and a cheap nginx
 * upstream on CPU 0, keep-alive on both hops, access logs off, interleaved rounds, medians.
 * Run: npm run bench (after `apt-get install -y wrk nginx-light haproxy`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { haproxyConfig } from './haproxy-config.ts';
import { assertFree, bareProxyScript, benchGatewayConfig, median, minimalGatewayConfig, need, nginxConf, parseMs, start, tailRounds, versus, waitFor, wrkClosed, type WrkResult } from './bench-kit.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
const MEASURE_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const UPSTREAM = 18080;
const PORTS = { gateway: 18081, 'gateway+log': 18082, bare: 18083, nginx: 18084, haproxy: 18085, previous: 18086, minimal: 18087 } as const;
type Case = keyof typeof PORTS;
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const BARE_PROXY = bareProxyScript();
/**
 * An A/B run: BENCH_PREVIOUS_DIST names another build's dist/ (e.g. main before a change, built in
 * a git worktree); it runs as case `previous` with the same config, interleaved with the rest.
 */
const PREVIOUS_DIST = process.env.BENCH_PREVIOUS_DIST;
// Gateway and bare back to back: the machine's speed drifts over tens of seconds.
const ALL_CASES: Case[] = ['gateway', 'bare', ...(PREVIOUS_DIST ? (['previous'] as const) : []), 'minimal', 'gateway+log', 'nginx', 'haproxy'];
/** BENCH_CASES=gateway,bare,previous narrows a run (an A/B with more rounds); gateway and bare are always in. */
const only = process.env.BENCH_CASES?.split(',').map(c => c.trim());
const CASES: Case[] = only ? ALL_CASES.filter(c => c === 'gateway' || c === 'bare' || only.includes(c)) : ALL_CASES;
const dir = mkdtempSync(join(tmpdir(), 'brownout-bench-'));

['wrk', 'nginx', 'haproxy', 'taskset'].forEach(need);
for (const p of [UPSTREAM, ...Object.values(PORTS)]) await assertFree(p);

const wrk = (port: number, seconds: number, pid?: number): WrkResult => wrkClosed(port, seconds, CONNECTIONS, pid);

// ---- upstream and proxies --------------------------------------------------------------------
start(0, 'nginx', ['-c', nginxConf(dir, 'upstream', `server { listen 127.0.0.1:${UPSTREAM}; location / { return 200 'hello world'; } }`)]);
await waitFor(UPSTREAM);

const gatewayConfig = (port: number): Record<string, unknown> => benchGatewayConfig(port, UPSTREAM);

const procs: Partial<Record<Case, ChildProcess>> = {};
for (const [name, log] of [['gateway', 'off'], ['gateway+log', join(dir, 'access.log')]] as const) {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, stringify(gatewayConfig(PORTS[name])));
  procs[name] = start(1, process.execPath, [join(DIST, 'main.js'), '--config', f, '--access-log', log]);
}
procs.bare = start(1, process.execPath, [BARE_PROXY, `http://127.0.0.1:${UPSTREAM}`, String(PORTS.bare)]);
{
  // The minimal config: one cluster, one route, no policy (issue 27's second figure).
  const f = join(dir, 'minimal.yaml');
  writeFileSync(f, stringify(minimalGatewayConfig(PORTS.minimal, UPSTREAM)));
  procs.minimal = start(1, process.execPath, [join(DIST, 'main.js'), '--config', f, '--access-log', 'off']);
}
if (PREVIOUS_DIST) {
  const f = join(dir, 'previous.yaml');
  writeFileSync(f, stringify(gatewayConfig(PORTS.previous)));
  procs.previous = start(1, process.execPath, [join(PREVIOUS_DIST, 'main.js'), '--config', f, '--access-log', 'off']);
}
procs.nginx = start(1, 'nginx', [
  '-c',
  nginxConf(dir, 'proxy', `upstream origin { server 127.0.0.1:${UPSTREAM}; keepalive 128; }
  server { listen 127.0.0.1:${PORTS.nginx}; location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }`),
]);
const haCfg = join(dir, 'haproxy.cfg');
writeFileSync(
  haCfg,
  haproxyConfig(PORTS.haproxy, UPSTREAM, 1),
);
procs.haproxy = start(1, 'haproxy', ['-f', haCfg, '-db']);
for (const c of CASES) await waitFor(PORTS[c], '/bench');

// ---- throughput: interleaved rounds ----------------------------------------------------------
const results: Record<Case, WrkResult[]> = { gateway: [], 'gateway+log': [], bare: [], nginx: [], haproxy: [], previous: [], minimal: [] };
for (let round = 1; round <= ROUNDS; round++) {
  // ABBA: every other round runs the cases in reverse, so a VM drifting over a round's minutes
  // does not always favour whichever case runs first.
  for (const c of round % 2 === 1 ? CASES : [...CASES].reverse()) {
    wrk(PORTS[c], WARMUP_S);
    const r = wrk(PORTS[c], MEASURE_S, procs[c]!.pid);
    results[c].push(r);
    process.stdout.write(`round ${round} ${c.padEnd(12)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)}ms  p99 ${r.p99.toFixed(2)}ms  proxy cpu ${(r.cpu * 100).toFixed(0)}%\n`);
  }
}
const sequentialRatio = median(results.gateway.map((g, i) => g.rps / results.bare[i]!.rps));
// The figure of record: requests per proxy CPU-second, gateway over bare, median of the same-round
// ratios. Each proxy runs alone on its pinned core, so CPU time is its own; dividing by it takes
// out what the VM's neighbours stole from the round. (Paired rounds, below, let the scheduler
// split one core between two proxies, which is not the same thing: printed, never judged.)
const perCpu = (r: WrkResult): number => (r.cpu > 0 ? r.rps / r.cpu : NaN);
const cpuRatio = (c: Case): number => median(results[c].map((g, i) => perCpu(g) / perCpu(results.bare[i]!)));
const cpuNormalisedRatio = cpuRatio('gateway');
const previousCpuRatio = PREVIOUS_DIST ? cpuRatio('previous') : undefined;
const minimalCpuRatio = CASES.includes('minimal') ? cpuRatio('minimal') : undefined;
/** p99 at c50 (the throughput rounds) above bare's, ms: median of the same-round differences. */
const p99Above = (c: Case): number => median(results[c].map((g, i) => g.p99 - results.bare[i]!.p99));

// ---- p99 at c50 in short interleaved windows (the tail's figure of record) --------------------
// The throughput rounds' 10 s windows, tens of seconds apart, land in different phases of this
// VM's slow spells; their p99 differences say more about the VM than the proxies (bench-kit.ts).
const TAIL_ROUNDS = Number(process.env.BENCH_TAIL_ROUNDS ?? 30);
const TAIL_S = Number(process.env.BENCH_TAIL_SECONDS ?? 3);
const tailCases = (['gateway', 'bare', 'previous', 'minimal'] as const).filter(c => CASES.includes(c)).map(c => ({ name: c, port: PORTS[c] }));
const tail = TAIL_ROUNDS > 0 ? tailRounds(tailCases, TAIL_ROUNDS, TAIL_S, CONNECTIONS, line => process.stdout.write(`${line}\n`)) : undefined;
const tailVersusBare = (c: Case): { median: number; atOrBelow: number } | null => (tail?.has(c) ? versus(tail.get(c)!, tail.get('bare')!) : null);

// ---- throughput ratio, paired -----------------------------------------------------------------
// On this shared VM one proxy's req/s moves by ±20–40% between back-to-back runs, more than the
// difference we are measuring. So the target's figure comes from paired runs: the gateway and the
// bare proxy share the pinned core and are loaded at the same moment (one wrk each, half the
// connections each). The scheduler splits the core between them, so the ratio of their req/s is
// the inverse ratio of their CPU cost per request, and whatever the neighbours do hits both.
function wrkAsync(port: number, seconds: number, connections: number, script?: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['-c', '0', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), `http://127.0.0.1:${port}/bench`];
    const c = spawn('taskset', args, { env: { ...process.env, ...env } });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', code => {
      if (code === 0) resolve(out);
      else reject(new Error(`wrk exited ${String(code)}`));
    });
  });
}
const rpsOf = (out: string): number => {
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!m) throw new Error(`wrk printed no Requests/sec:\n${out}`);
  return Number(m[1]);
};
const PAIRED_ROUNDS = Number(process.env.BENCH_PAIRED_ROUNDS ?? Math.max(5, ROUNDS * 2));
const paired: { gateway: number; bare: number; ratio: number }[] = [];
if (PAIRED_ROUNDS > 0) await Promise.all([wrkAsync(PORTS.gateway, WARMUP_S, CONNECTIONS / 2), wrkAsync(PORTS.bare, WARMUP_S, CONNECTIONS / 2)]);
for (let round = 1; round <= PAIRED_ROUNDS; round++) {
  const [g, b] = await Promise.all([wrkAsync(PORTS.gateway, MEASURE_S, CONNECTIONS / 2), wrkAsync(PORTS.bare, MEASURE_S, CONNECTIONS / 2)]);
  const r = { gateway: rpsOf(g), bare: rpsOf(b), ratio: rpsOf(g) / rpsOf(b) };
  paired.push(r);
  process.stdout.write(`paired round ${round}: gateway ${r.gateway.toFixed(0)} req/s, bare ${r.bare.toFixed(0)} req/s, ratio ${(r.ratio * 100).toFixed(1)}%\n`);
}
const ratioGatewayToBare = paired.length > 0 ? median(paired.map(p => p.ratio)) : NaN;

// ---- latency at half of the bare proxy's peak ----------------------------------------------
// Paced with wrk and an exponential think time per connection (paced.lua), so arrivals spread out
// like a Poisson stream. A fixed per-connection rate (hey -q) fires every connection on the same
// tick: the proxy then drains a 50-request burst each period and the "latency" is mostly the time
// to work through the burst. Each proxy runs alone on its core here (sharing it would let one's GC
// pauses show up in the other's tail); rounds are interleaved and the per-round differences' median
// is quoted.
const bareRps = median(results.bare.map(r => r.rps));
const rate = Math.round(bareRps / 2);
const pacer = join(dir, 'paced.lua');
writeFileSync(
  pacer,
  `local mean = tonumber(os.getenv("PACE_MEAN_MS"))
math.randomseed(os.time())
function delay() return math.floor(-math.log(1 - math.random()) * mean + 0.5) end
`,
);
// Each connection's cycle is think time + response time; the response time is small next to it.
const meanMs = Math.max(1, Math.round((CONNECTIONS * 1000) / rate));
const LAT_ROUNDS = Number(process.env.BENCH_LATENCY_ROUNDS ?? Math.max(5, ROUNDS * 2));
async function paced(port: number): Promise<{ rps: number; p50_ms: number; p99_ms: number }> {
  const out = await wrkAsync(port, MEASURE_S, CONNECTIONS, pacer, { PACE_MEAN_MS: String(meanMs) });
  return { rps: rpsOf(out), p50_ms: parseMs(/^\s+50%\s+(\S+)/m.exec(out)![1]!), p99_ms: parseMs(/^\s+99%\s+(\S+)/m.exec(out)![1]!) };
}
const lat: Record<'gateway' | 'bare', { rps: number; p50_ms: number; p99_ms: number }[]> = { gateway: [], bare: [] };
for (let round = 1; round <= LAT_ROUNDS; round++) {
  for (const c of ['gateway', 'bare'] as const) {
    const r = await paced(PORTS[c]);
    lat[c].push(r);
    process.stdout.write(`latency @~${rate}/s round ${round} ${c.padEnd(8)} ${r.rps.toFixed(0)} req/s  p50 ${r.p50_ms.toFixed(2)}ms p99 ${r.p99_ms.toFixed(2)}ms\n`);
  }
}
const addedP99 = LAT_ROUNDS > 0 ? median(lat.gateway.map((g, i) => g.p99_ms - lat.bare[i]!.p99_ms)) : NaN;
const addedP50 = LAT_ROUNDS > 0 ? median(lat.gateway.map((g, i) => g.p50_ms - lat.bare[i]!.p50_ms)) : NaN;
// A second estimator, less sensitive to one proxy drawing a noisy round: the difference of medians.
const medianGap = (k: 'p50_ms' | 'p99_ms'): number => (LAT_ROUNDS > 0 ? median(lat.gateway.map(r => r[k])) - median(lat.bare.map(r => r[k])) : NaN);

// ---- summary ---------------------------------------------------------------------------------
const summary = CASES.map(c => {
  const rps = median(results[c].map(r => r.rps));
  const cpu = median(results[c].map(r => r.cpu));
  return {
    case: c,
    rps: Math.round(rps),
    rps_per_proxy_core: cpu > 0 ? Math.round(rps / cpu) : null,
    p50_ms: median(results[c].map(r => r.p50)),
    p99_ms: median(results[c].map(r => r.p99)),
    vs_bare: rps / bareRps,
    vs_nginx: results.nginx.length > 0 ? rps / median(results.nginx.map(r => r.rps)) : NaN,
    vs_haproxy: results.haproxy.length > 0 ? rps / median(results.haproxy.map(r => r.rps)) : NaN,
  };
});
process.stdout.write(`\n${'case'.padEnd(12)} ${'req/s'.padStart(7)} ${'/core'.padStart(7)} ${'p50'.padStart(7)} ${'p99'.padStart(7)}  vs bare  vs nginx  vs haproxy\n`);
for (const s of summary) {
  process.stdout.write(
    `${s.case.padEnd(12)} ${String(s.rps).padStart(7)} ${String(s.rps_per_proxy_core ?? '-').padStart(7)} ${s.p50_ms.toFixed(2).padStart(6)}ms ${s.p99_ms.toFixed(2).padStart(6)}ms  ${(s.vs_bare * 100).toFixed(0).padStart(6)}%  ${(s.vs_nginx * 100).toFixed(0).padStart(6)}%  ${(s.vs_haproxy * 100).toFixed(0).padStart(8)}%\n`,
  );
}
process.stdout.write(`\ngateway / bare, requests per proxy CPU-second (median of ${ROUNDS} same-round ratios; the figure of record): ${(cpuNormalisedRatio * 100).toFixed(1)}%\n`);
if (previousCpuRatio !== undefined) process.stdout.write(`previous build / bare, same measure: ${(previousCpuRatio * 100).toFixed(1)}%\n`);
if (minimalCpuRatio !== undefined) process.stdout.write(`minimal config / bare, same measure: ${(minimalCpuRatio * 100).toFixed(1)}%\n`);
process.stdout.write(`p99 at c${CONNECTIONS} minus bare's, median of the throughput rounds' differences (10 s windows, phase-prone; printed, not judged): gateway ${p99Above('gateway').toFixed(2)}ms${minimalCpuRatio !== undefined ? `, minimal ${p99Above('minimal').toFixed(2)}ms` : ''}\n`);
for (const c of ['gateway', 'previous', 'minimal'] as const) {
  const t = tailVersusBare(c);
  if (t) process.stdout.write(`p99 at c${CONNECTIONS} minus bare's in ${TAIL_ROUNDS} interleaved ${TAIL_S} s windows (the tail's figure of record): ${c} ${t.median.toFixed(2)}ms, at or below bare in ${t.atOrBelow} of ${TAIL_ROUNDS}\n`);
}
process.stdout.write(`gateway / bare, sequential rounds, raw req/s (median of same-round ratios): ${(sequentialRatio * 100).toFixed(1)}%\n`);
process.stdout.write(`gateway / bare, paired on one core (median of ${PAIRED_ROUNDS}; scheduler-split, not judged): ${(ratioGatewayToBare * 100).toFixed(1)}%\n`);
process.stdout.write(`added latency at ~${rate} req/s (half the bare peak), Poisson-paced, median of ${LAT_ROUNDS} same-round differences: p50 ${addedP50.toFixed(2)}ms, p99 ${addedP99.toFixed(2)}ms (target p99 ≤ 1ms)\n`);
process.stdout.write(`  difference of the ${LAT_ROUNDS}-round medians: p50 ${medianGap('p50_ms').toFixed(2)}ms, p99 ${medianGap('p99_ms').toFixed(2)}ms\n`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./results/${process.env.BENCH_OUT ?? 'proxy.json'}`, import.meta.url),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      rounds: ROUNDS,
      warmup_s: WARMUP_S,
      measure_s: MEASURE_S,
      connections: CONNECTIONS,
      summary,
      gateway_vs_bare_per_cpu_second: cpuNormalisedRatio,
      previous_vs_bare_per_cpu_second: previousCpuRatio ?? null,
      minimal_vs_bare_per_cpu_second: minimalCpuRatio ?? null,
      gateway_p99_above_bare_ms: p99Above('gateway'),
      minimal_p99_above_bare_ms: minimalCpuRatio !== undefined ? p99Above('minimal') : null,
      tail_rounds: TAIL_ROUNDS,
      tail_seconds: TAIL_S,
      gateway_tail_p99_above_bare_ms: tailVersusBare('gateway'),
      minimal_tail_p99_above_bare_ms: tailVersusBare('minimal'),
      previous_tail_p99_above_bare_ms: tailVersusBare('previous'),
      tail_raw: tail ? Object.fromEntries(tail) : null,
      gateway_vs_bare_sequential: sequentialRatio,
      gateway_vs_bare_paired: ratioGatewayToBare,
      latency_rate: rate,
      added_p50_ms: addedP50,
      added_p99_ms: addedP99,
      median_gap_p50_ms: medianGap('p50_ms'),
      median_gap_p99_ms: medianGap('p99_ms'),
      rounds_raw: results,
      paired_raw: paired,
      latency_raw: lat,
    },
    null,
    2,
  ) + '\n',
);
process.exit(0);
