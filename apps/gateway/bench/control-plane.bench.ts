/**
 * Control-plane figures: (1) switch propagation — a write to Redis until it is enforced on three
 * gateway processes, over 200 flips (target p99 < 50 ms), on one Redis, on Sentinel (primary,
 * replica, three sentinels) and on a Cluster (three primaries with a replica each), the writes
 * waiting for a replica where there is one, as operators' writes do; (1b) on Sentinel and Cluster,
 * the time from SIGKILLing the primary that holds the switches to the first flip confirmed and
 * enforced on all three gateways; (2) the cost of the Redis rate limiter per request — the same
 * gateway with and without a distributed limit on the route, interleaved.
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
import { TestCluster, TestSentinel } from '@brownout/control-plane/testing';
import { Agent, request } from 'undici';
import { DemoUpstream } from '../src/demo/demo-upstreams.ts';
import { SWITCH_KEY, connectRedis, replicationFor, writeSwitchDocument, type AnyRedis } from '@brownout/control-plane';

const FLIPS = Number(process.env.BENCH_FLIPS ?? 200);
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'brownout-cp-bench-'));
const socket = join(dir, 'redis.sock');
const children: ChildProcess[] = [];
/** The gateways of the topology being measured, stopped before the next one starts. */
let fleetChildren: ChildProcess[] = [];
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

async function startGateway(name: string, route: Record<string, unknown>, redisUrl = socket): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ listener: { port: 0 }, admin: { port: 0, token: 'b' }, clusters: [{ name: 'api', hosts: [`127.0.0.1:${upstream.address.port}`] }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', ...route }] }));
  const c = spawn(process.execPath, [join(DIST, 'main.js'), '--config', file, '--access-log', 'off'], { env: { ...process.env, REDIS_URL: redisUrl, BROWNOUT_SWITCH_SNAPSHOT: join(dir, `${name}.snap`) }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(c);
  fleetChildren.push(c);
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

// ---- (1) propagation, (1b) failover ------------------------------------------------------------
const shedRoute = { priority: 'low', degradation: { mode: 'default', default_response: { body: 'shed' } } };
const shed = async (url: string): Promise<boolean> => {
  const r = await request(`${url}/x`, { dispatcher: agent });
  return (await r.body.text()) === 'shed';
};

/** Until `level` is enforced on every gateway: each gateway's time since t0. */
function enforcedEverywhere(gws: string[], level: number, t0: number, ms = 5_000): Promise<number[]> {
  return Promise.all(
    gws.map(async url => {
      for (;;) {
        if ((await shed(url)) === (level === 1)) return performance.now() - t0;
        if (performance.now() - t0 > ms) throw new Error(`level ${level} not enforced on ${url} after ${ms} ms`);
      }
    }),
  );
}

interface Propagation {
  flips: number;
  gateways: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  per_gateway_p50_ms: number;
}

async function propagation(label: string, writer: AnyRedis, gws: string[], url: string): Promise<Propagation> {
  const all: number[] = [];
  const perGateway: number[] = [];
  for (let i = 1; i <= FLIPS; i++) {
    const level = i % 2;
    const t0 = performance.now();
    const w = await writeSwitchDocument(writer, { global_level: level }, 'bench', { replicas: replicationFor(url) });
    if (!w.ok) throw new Error(`write ${i} refused: ${JSON.stringify(w)}`);
    const seen = await enforcedEverywhere(gws, level, t0);
    perGateway.push(...seen);
    all.push(Math.max(...seen));
  }
  const p = { flips: FLIPS, gateways: gws.length, p50_ms: pct(all, 0.5), p99_ms: pct(all, 0.99), max_ms: Math.max(...all), per_gateway_p50_ms: pct(perGateway, 0.5) };
  process.stdout.write(`switch propagation on ${label}, write → enforced on all 3 gateways, ${FLIPS} flips: p50 ${p.p50_ms.toFixed(2)} ms, p99 ${p.p99_ms.toFixed(2)} ms, max ${p.max_ms.toFixed(2)} ms (target p99 < 50 ms)\n`);
  return p;
}

/** SIGKILL the primary holding the switches; time until a flip is confirmed (a replica acknowledged) and enforced on all three. */
async function failover(label: string, writer: AnyRedis, gws: string[], url: string, kill: () => void): Promise<{ confirmed_ms: number; enforced_ms: number }> {
  const killedAt = performance.now();
  kill();
  let level = 0;
  for (let n = 0; ; n++) {
    level = n % 2;
    const w = await writeSwitchDocument(writer, { global_level: level }, 'bench', { replicas: replicationFor(url) }).catch(() => undefined);
    // Confirmed = on a primary that answers; the replica may be gone with the killed node.
    if (w?.ok) break;
    if (performance.now() - killedAt > 60_000) throw new Error(`${label}: no write accepted 60 s after the kill`);
    await new Promise(r => setTimeout(r, 50));
  }
  const confirmed = performance.now() - killedAt;
  const seen = await enforcedEverywhere(gws, level, killedAt, 60_000);
  const f = { confirmed_ms: Math.round(confirmed), enforced_ms: Math.round(Math.max(...seen)) };
  process.stdout.write(`${label}: primary SIGKILLed → first flip accepted ${f.confirmed_ms} ms, enforced on all 3 gateways ${f.enforced_ms} ms\n`);
  return f;
}

async function stopFleet(): Promise<void> {
  await Promise.all(fleetChildren.map(c => new Promise(r => { c.once('exit', r); c.kill('SIGKILL'); })));
  fleetChildren = [];
}

const topologies: Record<string, { propagation: Propagation; failover?: { confirmed_ms: number; enforced_ms: number } }> = {};
{
  const gws = await Promise.all(['g1', 'g2', 'g3'].map(n => startGateway(n, shedRoute)));
  topologies.single = { propagation: await propagation('one Redis', redis, gws, socket) };
  await stopFleet();
}
{
  const s = await new TestSentinel().start();
  const writer = connectRedis(s.url, { maxRetriesPerRequest: 1 });
  writer.on('error', () => undefined);
  const gws = await Promise.all(['s1', 's2', 's3'].map(n => startGateway(n, shedRoute, s.url)));
  const p = await propagation('Sentinel', writer, gws, s.url);
  const primary = await s.primaryPort();
  topologies.sentinel = { propagation: p, failover: await failover('Sentinel', writer, gws, s.url, () => {
    s.kill(primary);
  }) };
  await stopFleet();
  writer.disconnect();
  s.stop();
}
{
  const c = await new TestCluster().start();
  const writer = connectRedis(c.url, { maxRetriesPerRequest: 1 });
  writer.on('error', () => undefined);
  const gws = await Promise.all(['c1', 'c2', 'c3'].map(n => startGateway(n, shedRoute, c.url)));
  const p = await propagation('Cluster', writer, gws, c.url);
  const victim = await c.primaryFor(SWITCH_KEY);
  topologies.cluster = { propagation: p, failover: await failover('Cluster', writer, gws, c.url, () => {
    c.kill(victim);
  }) };
  await stopFleet();
  writer.disconnect();
  c.stop();
}
const propagationOfRecord = topologies.single.propagation;

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
writeFileSync(new URL('./results/control-plane.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), node: process.version, propagation: propagationOfRecord, topologies, limiter, rounds }, null, 2) + '\n');
await upstream.stop();
await agent.close();
redis.disconnect();
process.exit(0);
