import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, request } from 'undici';
import { eventually, hostsOf, sleep, upstreams } from './harness.ts';
import { startGateway, type GatewayProcess } from './gateway-process.ts';
import type { DemoUpstream } from '../src/demo/demo-upstreams.ts';

// `workers: 2`, run as an operator would (src/main.ts as a process): one primary, two workers on
// the shared public listener, the admin API on the primary.

async function freePort(): Promise<number> {
  return new Promise(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => { resolve(port); });
    });
  });
}

interface Running {
  proc: GatewayProcess;
  url: string;
  admin: string;
  configPath: string;
  config(routePrefix: string): string;
}

async function twoWorkers(ups: DemoUpstream[], route: Record<string, unknown> = {}): Promise<Running> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'brownout-workers-'));
  const configPath = join(dir, 'gateway.yaml');
  const config = (routePrefix: string): string =>
    JSON.stringify({
      listener: { address: '127.0.0.1', port },
      admin: { address: '127.0.0.1', port: adminPort, token: 't' },
      workers: 2,
      clusters: [
        {
          name: 'api',
          hosts: hostsOf(ups),
          outlier_detection: { consecutive_5xx: 3, interval: '1s', base_ejection_time: '30s', max_ejection_percent: 50 },
          health_checks: [{ timeout: '100ms', interval: '200ms', no_traffic_interval: '200ms', unhealthy_threshold: 2, healthy_threshold: 1, http_health_check: { path: '/healthz' } }],
        },
      ],
      routes: [{ name: 'all', match: { prefix: routePrefix }, cluster: 'api', ...route }],
    });
  writeFileSync(configPath, config('/'));
  const proc = startGateway(['--config', configPath]);
  after(async () => {
    proc.child.kill('SIGTERM');
    await proc.exit;
  });
  await eventually(() => proc.stderr().includes('brownout gateway listening (multi-worker)'), 20_000, `two workers listening:\n${proc.stderr()}`);
  return { proc, url: `http://127.0.0.1:${port}`, admin: `http://127.0.0.1:${adminPort}`, configPath, config };
}

/**
 * The primary's worker processes: its node children (tsx may also have started an esbuild service
 * under the primary, which is not a worker).
 */
function workerPids(g: Running): number[] {
  return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(g.proc.child.pid)], { encoding: 'utf8' })
    .split('\n')
    .map(l => l.trim().split(/\s+/))
    .filter(([pid, comm]) => pid && comm === 'node')
    .map(([pid]) => Number(pid));
}

/** One request on a connection of its own: the primary hands new connections to the workers in turn. */
async function fresh(url: string, path = '/x'): Promise<number> {
  const r = await request(url + path, { reset: true, headersTimeout: 3_000, bodyTimeout: 3_000 });
  await r.body.dump();
  return r.statusCode;
}

async function adminJson<T>(admin: string, path: string): Promise<T> {
  const r = await request(admin + path, { headers: { authorization: 'Bearer t' } });
  return (await r.body.json()) as T;
}

interface MergedClusters {
  workers: number[];
  clusters: { name: string; hosts: { port: number; ejected: boolean; ejected_by_worker: number | null; workers: { worker: number; ejected: boolean }[] }[] }[];
}

describe('worker processes (workers: 2)', () => {
  it('a host failing on one worker\'s traffic is ejected on both; the other sends it nothing', async () => {
    const ups = await upstreams(2);
    const g = await twoWorkers(ups);
    await sleep(500); // first health checks
    ups[0]!.flakyRatio = 1; // every request fails; its health check passes (so only traffic can eject it)
    await ups[0]!.setMode('flaky');
    // One keep-alive connection: every request lands on the same worker.
    const one = new Client(g.url, { pipelining: 1 });
    for (let i = 0; i < 8; i++) {
      const r = await one.request({ path: '/x', method: 'GET' });
      await r.body.dump();
    }
    await one.close();
    let view: MergedClusters | undefined;
    await eventually(async () => {
      view = await adminJson<MergedClusters>(g.admin, '/clusters');
      return view.clusters[0]!.hosts[0]!.workers.every(w => w.ejected);
    }, 3_000, 'ejected on every worker');
    const host = view!.clusters[0]!.hosts[0]!;
    assert.equal(view!.workers.length, 2);
    assert.ok(host.ejected_by_worker !== null && view!.workers.includes(host.ejected_by_worker), 'the view names the worker whose traffic ejected it');
    const before = ups[0]!.hits;
    const statuses = await Promise.all(Array.from({ length: 20 }, () => fresh(g.url)));
    assert.deepEqual([...new Set(statuses)], [200]);
    assert.equal(ups[0]!.hits, before, 'no worker sent the ejected host a request');
  });

  it('health checks run once per interval (in the primary), not once per worker', async () => {
    const ups = await upstreams(1);
    await twoWorkers(ups);
    const start = ups[0]!.healthHits;
    await sleep(2_000);
    const checks = ups[0]!.healthHits - start;
    // One checker at 200 ms (plus its round trip): about 9 in 2 s; one per worker would be ~18.
    assert.ok(checks >= 5 && checks <= 11, `${checks} health checks in 2 s at a 200 ms interval`);
  });

  it('metrics on the primary are the sum over the workers', async () => {
    const ups = await upstreams(1);
    const g = await twoWorkers(ups);
    const statuses = await Promise.all(Array.from({ length: 24 }, () => fresh(g.url)));
    assert.deepEqual([...new Set(statuses)], [200]);
    const r = await request(`${g.admin}/stats/prometheus`, { headers: { authorization: 'Bearer t' } });
    const text = await r.body.text();
    const line = text.split('\n').find(l => l.startsWith('brownout_requests_total{') && l.includes('route="all"') && l.includes('status_class="2xx"'));
    assert.ok(line, text.slice(0, 2_000));
    assert.equal(Number(line.split(' ').at(-1)), 24);
    assert.match(text, /^brownout_workers 2$/m);
    const stats = await adminJson<{ metrics: { name: string; values: { value: number; labels: Record<string, string> }[] }[] }>(g.admin, '/stats');
    const json = stats.metrics.find(m => m.name === 'brownout_requests_total')!.values.filter(v => v.labels.status_class === '2xx');
    assert.equal(json.reduce((n, v) => n + v.value, 0), 24, '/stats (JSON) is the same sum');
    assert.match(text, /^brownout_health_checks_total\{/m, 'the primary\'s health checks are in the scrape');
    // Both workers took part (the primary hands out connections in turn).
    const unauth = await request(`${g.admin}/stats/prometheus`);
    assert.equal(unauth.statusCode, 401);
    await unauth.body.dump();
  });

  it('a reload with a bad config keeps every worker on the old one; a good one reaches every worker', async () => {
    const ups = await upstreams(1);
    const g = await twoWorkers(ups);
    writeFileSync(g.configPath, '{"routes": "not a list"');
    g.proc.child.kill('SIGHUP');
    await eventually(() => g.proc.stderr().includes('config reload refused'), 3_000, 'refusal logged');
    assert.deepEqual([...new Set(await Promise.all(Array.from({ length: 10 }, () => fresh(g.url))))], [200]);
    writeFileSync(g.configPath, g.config('/only'));
    g.proc.child.kill('SIGHUP');
    await eventually(async () => (await Promise.all(Array.from({ length: 10 }, () => fresh(g.url)))).every(s => s === 404), 3_000, 'every worker routes by the new config');
  });

  it('a killed worker is replaced while the other keeps serving', async () => {
    const ups = await upstreams(1);
    const g = await twoWorkers(ups);
    const children = (): number[] => workerPids(g);
    const before = children();
    assert.equal(before.length, 2);
    const victim = before[0]!;
    // Sequential requests, retries off, each on a new connection, while a worker is killed: only a
    // request in flight on the dead worker's connection can fail (or hang until the client's timeout,
    // if node:cluster was handing that connection over as the worker died); new ones go to the live one.
    let failed = 0;
    let ok = 0;
    const load = (async () => {
      for (let i = 0; i < 60; i++) {
        try {
          if ((await fresh(g.url)) === 200) ok++;
          else failed++;
        } catch {
          failed++;
        }
        await sleep(10);
      }
    })();
    await sleep(100);
    process.kill(victim, 'SIGKILL');
    await load;
    assert.ok(failed <= 1, `${failed} of 60 requests failed while a worker was killed`);
    assert.ok(ok >= 59);
    await eventually(() => children().length === 2 && !children().includes(victim), 20_000, 'replacement worker');
    assert.match(g.proc.stderr(), /worker died; starting a replacement/);
    await eventually(async () => {
      const r = await request(`${g.admin}/stats/prometheus`, { headers: { authorization: 'Bearer t' } });
      return /^brownout_worker_restarts_total 1$/m.test(await r.body.text());
    }, 5_000, 'restart counted');
  });

  it('a local rate limit allows its configured total across both workers, not twice it', async () => {
    const ups = await upstreams(1);
    // 10 tokens, refilled 10 per minute: in the few seconds of this test, 10 requests in all.
    const g = await twoWorkers(ups, { rate_limit: { token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '60s' } } });
    const statuses = await Promise.all(Array.from({ length: 40 }, () => fresh(g.url)));
    const ok = statuses.filter(s => s === 200).length;
    assert.equal(ok, 10, `${ok} of 40 admitted (each worker holds half the bucket)`);
    assert.equal(statuses.filter(s => s === 429).length, 30);
  });

  it('a replacement worker enforces the switches in force (embedded switches are carried over)', async () => {
    const ups = await upstreams(1);
    const g = await twoWorkers(ups);
    const put = await request(`${g.admin}/switches`, {
      method: 'PUT',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ routes: { all: { mode: 'reject', reason: 'incident 42', actor: 'ana' } } }),
    });
    assert.equal(put.statusCode, 200, await put.body.text());
    assert.deepEqual([...new Set(await Promise.all(Array.from({ length: 10 }, () => fresh(g.url))))], [503]);
    const children = workerPids(g);
    assert.equal(children.length, 2);
    const victim = children[0]!;
    process.kill(victim, 'SIGKILL');
    await eventually(() => {
      const now = workerPids(g);
      return now.length === 2 && !now.includes(victim);
    }, 20_000, 'replacement worker');
    await eventually(() => /replacement worker got the switches in force/.test(g.proc.stderr()), 10_000, 'switches carried');
    await sleep(300);
    const after = await Promise.all(Array.from({ length: 20 }, () => fresh(g.url)));
    assert.deepEqual([...new Set(after)], [503], 'both workers, the replacement included, still reject');
  });
});
