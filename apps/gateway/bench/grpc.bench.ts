/**
 * gRPC unary calls through the gateway (issue 26): calls per proxy CPU-second, Brownout (h2c in,
 * h2c to the upstream) vs bare @fastify/http-proxy on HTTP/2 both ways (if it can carry gRPC at
 * all: it does not pass trailers, so a gRPC client fails every call — reported, not hidden) vs the
 * client calling the upstream directly. grpc-js upstream and client in their own processes on the
 * other core; interleaved rounds, medians. Run: npm run bench:grpc -w @brownout/gateway.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { assertFree, bareProxyScript, cpuTicks, median, start } from './bench-kit.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const UPSTREAM = 9611;
const GATEWAY = 9612;
const BARE = 9614;
const here = fileURLToPath(new URL('.', import.meta.url));

for (const p of [UPSTREAM, GATEWAY, GATEWAY + 1, BARE]) await assertFree(p);

function ready(c: ReturnType<typeof start>, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const seen = (d: Buffer): void => {
      out += d.toString();
      if (/ready|listening/.test(out)) resolve();
    };
    c.stdout?.on('data', seen);
    c.stderr?.on('data', seen);
    c.once('exit', code => { reject(new Error(`${what} exited ${code}: ${out}`)); });
  });
}

const upstream = start(1, process.execPath, [join(here, 'fixtures', 'grpc-upstream.mjs'), String(UPSTREAM)]);
await ready(upstream, 'grpc upstream');
const dir = mkdtempSync(join(tmpdir(), 'brownout-grpc-bench-'));
writeFileSync(
  join(dir, 'gateway.json'),
  JSON.stringify({
    listener: { address: '127.0.0.1', port: GATEWAY, codec_type: 'HTTP2' },
    admin: { address: '127.0.0.1', port: GATEWAY + 1, token: 'bench' },
    clusters: [{ name: 'echo', hosts: [`127.0.0.1:${UPSTREAM}`], http2_protocol_options: {}, outlier_detection: { consecutive_5xx: 5 } }],
    routes: [{ name: 'echo', match: { prefix: '/' }, cluster: 'echo', retry_policy: { retry_on: 'unavailable', num_retries: 1 } }],
  }),
);
const gateway = start(0, process.execPath, [join(here, '..', 'dist', 'main.js'), '--config', join(dir, 'gateway.json'), '--access-log', 'off']);
await ready(gateway, 'gateway');
const bare = start(0, process.execPath, [bareProxyScript(), `http://127.0.0.1:${UPSTREAM}`, String(BARE), '-', '-', 'h2c']);
await ready(bare, 'bare proxy');

interface Load {
  calls: number;
  errors: number;
  firstError: string;
  p50_ms: number;
  p99_ms: number;
}
async function load(port: number, pid: number | undefined): Promise<Load & { per_cpu_s: number; per_s: number }> {
  const before = pid ? cpuTicks(pid) : 0;
  const { stdout } = await promisify(execFile)('taskset', ['-c', '1', process.execPath, join(here, 'fixtures', 'grpc-load.mjs'), `127.0.0.1:${port}`, String(SECONDS), String(CONCURRENCY)], { encoding: 'utf8' });
  const cpuS = pid ? (cpuTicks(pid) - before) / 100 : 0;
  const r = JSON.parse(stdout) as Load;
  return { ...r, per_s: r.calls / SECONDS, per_cpu_s: cpuS > 0 ? r.calls / cpuS : 0 };
}

const cases = { gateway: { port: GATEWAY, pid: gateway.pid }, bare: { port: BARE, pid: bare.pid }, direct: { port: UPSTREAM, pid: undefined } };
const rows: Record<string, Awaited<ReturnType<typeof load>>[]> = { gateway: [], bare: [], direct: [] };
await load(GATEWAY, undefined); // warm-up
for (let r = 1; r <= ROUNDS; r++) {
  for (const [name, c] of Object.entries(cases)) {
    const x = await load(c.port, c.pid);
    rows[name]!.push(x);
    process.stdout.write(`round ${r} ${name.padEnd(8)} ${x.calls} ok, ${x.errors} failed${x.firstError ? ` (${x.firstError})` : ''}; ${x.per_s.toFixed(0)} calls/s, ${c.pid ? `${x.per_cpu_s.toFixed(0)} per proxy CPU-second, ` : ''}p50 ${x.p50_ms.toFixed(2)} ms, p99 ${x.p99_ms.toFixed(2)} ms\n`);
  }
}
const summary = Object.fromEntries(
  Object.entries(rows).map(([name, xs]) => [
    name,
    { calls_per_s: median(xs.map(x => x.per_s)), calls_per_proxy_cpu_s: median(xs.map(x => x.per_cpu_s)), p50_ms: median(xs.map(x => x.p50_ms)), p99_ms: median(xs.map(x => x.p99_ms)), failed: xs.reduce((a, x) => a + x.errors, 0), first_error: xs.find(x => x.firstError)?.firstError ?? null },
  ]),
);
process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\n`);
const bareCarries = summary.bare!.failed === 0;
process.stdout.write(
  `gRPC unary, median of ${ROUNDS} interleaved rounds, ${CONCURRENCY} calls in flight: Brownout ${summary.gateway!.calls_per_proxy_cpu_s.toFixed(0)} calls per proxy CPU-second (${summary.gateway!.calls_per_s.toFixed(0)}/s, p99 ${summary.gateway!.p99_ms.toFixed(2)} ms); direct ${summary.direct!.calls_per_s.toFixed(0)}/s (p99 ${summary.direct!.p99_ms.toFixed(2)} ms); bare @fastify/http-proxy (h2 both ways) ${bareCarries ? `${summary.bare!.calls_per_proxy_cpu_s.toFixed(0)} per proxy CPU-second` : `cannot carry gRPC: every call failed (${summary.bare!.first_error})`}\n`,
);
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'grpc.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, seconds: SECONDS, concurrency: CONCURRENCY, summary, rows }, null, 2)}\n`);
process.exit(0);
