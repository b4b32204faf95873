/**
 * TLS, HTTP/2 and tracing, each against bare @fastify/http-proxy configured the same way, on the
 * method of proxy.bench.ts (perf.md §4): every proxy alone on CPU 1, the load generator and an nginx
 * upstream on CPU 0, keep-alive, access logs off, interleaved rounds; the figure of record is
 * requests per proxy CPU-second, as the median of same-round ratios.
 *   TLS HTTP/1.1   gateway (listener.tls, codec_type HTTP1)  vs bare https            (wrk)
 *   h2 over TLS    gateway (listener.tls, codec_type AUTO)   vs bare http2+allowHTTP1 (h2load, 10 connections × 10 streams)
 *   tracing        gateway with `tracing` (100% sampled, OTLP/HTTP to an nginx sink) vs the same gateway without
 *   upstream h2    gateway to an nginx upstream over TLS with cluster `http2_protocol_options` vs HTTP/1.1 over TLS
 * Run: npm run bench:protocols (after `apt-get install -y wrk nginx-light nghttp2-client`).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { stringify } from 'yaml';
import { assertFree, bareProxyScript, benchGatewayConfig, cpuTicks, median, need, nginxConf, start } from './bench-kit.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 2);
const MEASURE_S = Number(process.env.BENCH_SECONDS ?? 5);
const UPSTREAM = 18180;
const SINK = 18189;
const UPSTREAM_TLS = 18187;
const UPSTREAM_H2 = 18188;
const PORTS = { 'gateway-tls': 18181, 'bare-tls': 18182, 'gateway-h2': 18183, 'bare-h2': 18184, 'gateway-plain': 18185, 'gateway-traced': 18186, 'gateway-up-tls': 18190, 'gateway-up-h2': 18191 } as const;
type Case = keyof typeof PORTS;
const ALL = Object.keys(PORTS) as Case[];
/** BENCH_CASES=gateway-h2,bare-h2 narrows the rounds (a quicker A/B); the figures need both sides of a pair. */
const only = process.env.BENCH_CASES?.split(',').map(c => c.trim());
const CASES = only ? ALL.filter(c => only.includes(c)) : ALL;
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const BARE_PROXY = bareProxyScript();
const dir = mkdtempSync(join(tmpdir(), 'brownout-bench-proto-'));

['wrk', 'h2load', 'nginx', 'taskset', 'openssl'].forEach(need);
for (const p of [UPSTREAM, SINK, UPSTREAM_TLS, UPSTREAM_H2, ...Object.values(PORTS)]) await assertFree(p);

// A self-signed EC certificate for 127.0.0.1 (the load generators do not verify it).
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });

/** A TCP connect succeeds (the TLS listeners cannot be probed with plain fetch). */
async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>(r => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => { r(false); });
    });
    if (ok) return;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

interface Run { rps: number; cpu: number }

/** One load run against a case, with the proxy's CPU time over it. */
function load(c: Case, seconds: number, pid?: number): Run {
  const before = pid ? cpuTicks(pid) : 0;
  const port = PORTS[c];
  let rps: number;
  if (c === 'gateway-h2' || c === 'bare-h2') {
    const out = execFileSync('taskset', ['-c', '0', 'h2load', '-t1', '-c10', '-m10', '-D', String(seconds), `https://127.0.0.1:${port}/bench`], { encoding: 'utf8' });
    const m = /finished in [\d.]+s, ([\d.]+) req\/s/.exec(out);
    const failed = /(\d+) failed, (\d+) errored/.exec(out);
    if (!m || !failed || failed[1] !== '0' || failed[2] !== '0' || !/status codes: \d+ 2xx, 0 3xx, 0 4xx, 0 5xx/.test(out)) throw new Error(`h2load through ${c}:\n${out}`);
    rps = Number(m[1]);
  } else {
    const scheme = c === 'gateway-tls' || c === 'bare-tls' ? 'https' : 'http';
    const out = execFileSync('taskset', ['-c', '0', 'wrk', '-t1', '-c50', `-d${seconds}s`, `${scheme}://127.0.0.1:${port}/bench`], { encoding: 'utf8' });
    if (/Non-2xx|Socket errors/.test(out)) throw new Error(`wrk through ${c}:\n${out}`);
    rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
  }
  return { rps, cpu: pid ? (cpuTicks(pid) - before) / 100 / seconds : 0 };
}

// ---- upstream, tracing sink and proxies --------------------------------------------------------
start(0, 'nginx', ['-c', nginxConf(dir, 'upstream', `server { listen 127.0.0.1:${UPSTREAM}; location / { return 200 'hello world'; } }
  server { listen 127.0.0.1:${SINK}; location / { return 200 '{}'; } }
  server { listen 127.0.0.1:${UPSTREAM_TLS} ssl; ssl_certificate ${cert}; ssl_certificate_key ${key}; location / { return 200 'hello world'; } }
  server { listen 127.0.0.1:${UPSTREAM_H2} ssl http2; ssl_certificate ${cert}; ssl_certificate_key ${key}; location / { return 200 'hello world'; } }`)]);
await waitForPort(UPSTREAM);

const gw = (c: Case, extra: Record<string, unknown>, cluster: Record<string, unknown> = {}): ChildProcess => {
  const base = benchGatewayConfig(PORTS[c], UPSTREAM) as { listener: Record<string, unknown>; clusters: Record<string, unknown>[] };
  const f = join(dir, `${c}.yaml`);
  const clusters = [{ ...base.clusters[0], ...cluster }];
  writeFileSync(f, stringify({ ...base, ...extra, clusters, listener: { ...base.listener, ...(extra.listener as Record<string, unknown> | undefined) } }));
  return start(1, process.execPath, [join(DIST, 'main.js'), '--config', f, '--access-log', 'off']);
};
const tls = { certificate_chain: { filename: cert }, private_key: { filename: key } };
const procs: Record<Case, ChildProcess> = {
  'gateway-tls': gw('gateway-tls', { listener: { tls, codec_type: 'HTTP1' } }),
  'bare-tls': start(1, process.execPath, [BARE_PROXY, `http://127.0.0.1:${UPSTREAM}`, String(PORTS['bare-tls']), cert, key]),
  'gateway-h2': gw('gateway-h2', { listener: { tls } }),
  'bare-h2': start(1, process.execPath, [BARE_PROXY, `http://127.0.0.1:${UPSTREAM}`, String(PORTS['bare-h2']), cert, key, 'h2']),
  'gateway-plain': gw('gateway-plain', {}),
  'gateway-traced': gw('gateway-traced', { tracing: { random_sampling: 100, otlp_http: { endpoint: `http://127.0.0.1:${SINK}/v1/traces` } } }),
  // The self-signed certificate is its own CA.
  'gateway-up-tls': gw('gateway-up-tls', {}, { hosts: [`127.0.0.1:${UPSTREAM_TLS}`], tls: { trusted_ca: { filename: cert } } }),
  'gateway-up-h2': gw('gateway-up-h2', {}, { hosts: [`127.0.0.1:${UPSTREAM_H2}`], tls: { trusted_ca: { filename: cert } }, http2_protocol_options: {} }),
};
for (const c of CASES) await waitForPort(PORTS[c]);

// ---- interleaved rounds ----------------------------------------------------------------------
const results = Object.fromEntries(ALL.map(c => [c, [] as Run[]])) as Record<Case, Run[]>;
for (let round = 1; round <= ROUNDS; round++) {
  // ABBA: every other round in reverse, so a drifting VM does not favour whichever case runs first.
  for (const c of round % 2 === 1 ? CASES : [...CASES].reverse()) {
    load(c, WARMUP_S);
    const r = load(c, MEASURE_S, procs[c].pid);
    results[c].push(r);
    process.stdout.write(`round ${round} ${c.padEnd(15)} ${r.rps.toFixed(0).padStart(7)} req/s  proxy cpu ${(r.cpu * 100).toFixed(0)}%  ${(r.rps / r.cpu).toFixed(0)} req per CPU-s\n`);
  }
}
const perCpu = (r: Run): number => r.rps / r.cpu;
const ratio = (a: Case, b: Case): number => (results[a].length > 0 && results[b].length > 0 ? median(results[a].map((r, i) => perCpu(r) / perCpu(results[b][i]!))) : NaN);
const figures = {
  tls_http1_gateway_vs_bare: ratio('gateway-tls', 'bare-tls'),
  h2_gateway_vs_bare: ratio('gateway-h2', 'bare-h2'),
  tracing_on_vs_off: ratio('gateway-traced', 'gateway-plain'),
  upstream_h2_vs_upstream_tls_http1: ratio('gateway-up-h2', 'gateway-up-tls'),
};
const summary = CASES.map(c => ({ case: c, rps: Math.round(median(results[c].map(r => r.rps))), rps_per_proxy_cpu_s: Math.round(median(results[c].map(perCpu))) }));
process.stdout.write('\n');
for (const s of summary) process.stdout.write(`${s.case.padEnd(15)} ${String(s.rps).padStart(7)} req/s  ${String(s.rps_per_proxy_cpu_s).padStart(7)} req per proxy CPU-s\n`);
process.stdout.write(`\nrequests per proxy CPU-second, median of ${ROUNDS} same-round ratios:\n`);
process.stdout.write(`  TLS HTTP/1.1, gateway / bare: ${(figures.tls_http1_gateway_vs_bare * 100).toFixed(1)}%\n`);
process.stdout.write(`  h2 over TLS,  gateway / bare: ${(figures.h2_gateway_vs_bare * 100).toFixed(1)}%\n`);
process.stdout.write(`  tracing on (100% sampled, OTLP/HTTP) / off: ${(figures.tracing_on_vs_off * 100).toFixed(1)}%\n`);
process.stdout.write(`  upstream h2 / upstream HTTP/1.1, both over TLS: ${(figures.upstream_h2_vs_upstream_tls_http1 * 100).toFixed(1)}%\n`);
const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, process.env.BENCH_OUT ?? 'protocols.json'),
  `${JSON.stringify({ measured_at: new Date().toISOString(), node: process.version, rounds: ROUNDS, seconds: MEASURE_S, summary, figures, rounds_detail: results }, null, 2)}\n`,
);
process.exit(0);
