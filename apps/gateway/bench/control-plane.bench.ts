/**
 * Control-plane figures: (1) switch propagation — a write to Redis until it is enforced on three
 * gateway processes, over 200 flips (target p99 < 50 ms); (2) the cost of the Redis rate limiter
 * per request — the same gateway with and without a distributed limit on the route, interleaved.
 * Run: npm run bench (needs redis-server and wrk).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { DemoUpstream } from '../src/demo/demo-upstreams.ts';
import { writeSwitchDocument } from '@brownout/control-plane';

const FLIPS = Number(process.env.BENCH_FLIPS ?? 200);
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'brownout-cp-bench-'));
const socket = join(dir, 'redis.sock');
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

const redisProc = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
children.push(redisProc);
const redis = new Redis(socket, { retryStrategy: n => (n > 50 ? null : 50) });
redis.on('error', () => undefined); // the first connects race redis-server's start-up
await redis.ping();

const upstream = await new DemoUpstream('origin').start();
const agent = new Agent({ connections: 8 });

async function startGateway(name: string, route: Record<string, unknown>): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ listener: { port: 0 }, admin: { port: 0, token: 'b' }, clusters: [{ name: 'api', hosts: [`127.0.0.1:${upstream.address.port}`] }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', ...route }] }));
  const c = spawn(process.execPath, [join(DIST, 'main.js'), '--config', file, '--access-log', 'off'], { env: { ...process.env, REDIS_URL: socket, BROWNOUT_SWITCH_SNAPSHOT: join(dir, `${name}.snap`) }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(c);
  let err = '';
  return new Promise((resolve, reject) => {
    c.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const line = err.split('\n').find(l => l.includes('brownout gateway listening'));
      if (line) resolve((JSON.parse(line) as { public: string }).public);
    });
    c.once('exit', code => { reject(new Error(`gateway ${name} exited ${code}: ${err}`)); });
  });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

// ---- (1) propagation -------------------------------------------------------------------------
const shedRoute = { priority: 'low', degradation: { mode: 'default', default_response: { body: 'shed' } } };
const gws = await Promise.all(['g1', 'g2', 'g3'].map(n => startGateway(n, shedRoute)));
const shed = async (url: string): Promise<boolean> => {
  const r = await request(`${url}/x`, { dispatcher: agent });
  return (await r.body.text()) === 'shed';
};
const allLatencies: number[] = [];
const perGateway: number[] = [];
for (let i = 1; i <= FLIPS; i++) {
  const level = i % 2;
  const t0 = performance.now();
  const w = await writeSwitchDocument(redis, { version: i, global_level: level });
  if (!w.ok) throw new Error(`write ${i} refused: ${JSON.stringify(w)}`);
  const seen = await Promise.all(
    gws.map(async url => {
      for (;;) {
        if ((await shed(url)) === (level === 1)) return performance.now() - t0;
        if (performance.now() - t0 > 5_000) throw new Error(`flip ${i} not enforced on ${url} after 5s`);
      }
    }),
  );
  perGateway.push(...seen);
  allLatencies.push(Math.max(...seen));
}
const propagation = { flips: FLIPS, gateways: 3, p50_ms: pct(allLatencies, 0.5), p99_ms: pct(allLatencies, 0.99), max_ms: Math.max(...allLatencies), per_gateway_p50_ms: pct(perGateway, 0.5) };
process.stdout.write(`switch propagation, write → enforced on all 3 gateways, ${FLIPS} flips: p50 ${propagation.p50_ms.toFixed(2)} ms, p99 ${propagation.p99_ms.toFixed(2)} ms, max ${propagation.max_ms.toFixed(2)} ms (target p99 < 50 ms)\n`);

// ---- (2) Redis limiter cost ------------------------------------------------------------------
const plain = await startGateway('plain', {});
const limited = await startGateway('limited', { rate_limit: { token_bucket: { max_tokens: 1_000_000_000, tokens_per_fill: 1_000_000_000, fill_interval: '1s' }, scope: 'distributed' } });
// Asynchronous on purpose: the demo upstream lives in this process's event loop.
async function wrk(url: string): Promise<{ rps: number; p50: number; p99: number }> {
  const { stdout: out } = await promisify(execFile)('wrk', ['-t1', '-c20', '-d5s', '--latency', `${url}/x`], { encoding: 'utf8' });
  if (!/Requests\/sec/.test(out) || /Non-2xx|Socket errors/.test(out)) process.stderr.write(out);
  const ms = (re: RegExp): number => {
    const m = re.exec(out)!;
    const n = Number(m[1]);
    return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
  };
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]), p50: ms(/^\s+50%\s+([\d.]+)(us|ms|s)/m), p99: ms(/^\s+99%\s+([\d.]+)(us|ms|s)/m) };
}
const rounds: { plain: Awaited<ReturnType<typeof wrk>>; limited: Awaited<ReturnType<typeof wrk>> }[] = [];
for (let r = 0; r < 3; r++) {
  await wrk(plain);
  const p = await wrk(plain);
  await wrk(limited);
  const l = await wrk(limited);
  rounds.push({ plain: p, limited: l });
  process.stdout.write(`round ${r + 1}: without limiter ${p.rps.toFixed(0)} req/s p50 ${p.p50.toFixed(2)}ms · with Redis limiter ${l.rps.toFixed(0)} req/s p50 ${l.p50.toFixed(2)}ms\n`);
}
const med = (xs: number[]): number => pct(xs, 0.5);
const limiter = {
  rps_without: med(rounds.map(r => r.plain.rps)),
  rps_with: med(rounds.map(r => r.limited.rps)),
  ratio: med(rounds.map(r => r.limited.rps / r.plain.rps)),
  added_p50_ms: med(rounds.map(r => r.limited.p50 - r.plain.p50)),
  added_cpu_us_per_request: med(rounds.map(r => 1e6 / r.limited.rps - 1e6 / r.plain.rps)),
};
process.stdout.write(`Redis limiter: ${(limiter.ratio * 100).toFixed(0)}% of the throughput without it, +${limiter.added_p50_ms.toFixed(2)} ms p50, ≈${limiter.added_cpu_us_per_request.toFixed(0)} µs per request\n`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/control-plane.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), node: process.version, propagation, limiter, rounds }, null, 2) + '\n');
await upstream.stop();
await agent.close();
redis.disconnect();
process.exit(0);
