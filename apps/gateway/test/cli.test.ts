import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { request } from 'undici';
import { eventually, hostsOf, upstreams } from './harness.ts';
import { startGateway } from './gateway-process.ts';
import { redisServer } from '@brownout/control-plane/testing';
import { writeSwitchDocument } from '@brownout/control-plane';

const start = startGateway;

/** Runs the CLI to completion: exit code and output. */
async function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = start(args);
  let out = '';
  p.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const code = await p.exit;
  return { code, out, err: p.stderr() };
}

describe('brownout check, --help, --version', () => {
  it('check: a valid config says so and exits 0, starting nothing', async () => {
    const r = await run(['check', new URL('../../../examples/gateway.yaml', import.meta.url).pathname]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /gateway\.yaml: valid \(\d+ clusters?, \d+ routes?\)/);
    assert.doesNotMatch(r.err, /listening/);
  });

  it('check: lists every issue by path in one run and exits 1 (also as --check --config): field errors, then cross-field ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brownout-check-'));
    const fields = join(dir, 'fields.yaml');
    writeFileSync(fields, stringify({ listener: { port: 'eighty' }, clusters: [{ name: 'api', hosts: ['nope'], lb_polcy: 'ROUND_ROBIN' }], routes: [] }));
    const cross = join(dir, 'cross.yaml');
    writeFileSync(
      cross,
      stringify({
        clusters: [{ name: 'api', hosts: ['127.0.0.1:1'] }],
        routes: [
          { name: 'r', match: { prefix: '/' }, cluster: 'ghost' },
          { name: 's', match: { prefix: '/s' }, cluster: 'api', degradation: { mode: 'fallback_service', fallback_cluster: 'api' } },
        ],
      }),
    );
    for (const args of [['check', fields], ['--check', '--config', fields]]) {
      const r = await run(args);
      assert.equal(r.code, 1);
      assert.match(r.err, /fields\.yaml: 4 issues/);
      assert.match(r.err, /routes: Too small/);
      assert.match(r.err, /listener\.port: /);
      assert.match(r.err, /clusters\.0\.hosts\.0: expected "host:port"/);
      assert.match(r.err, /clusters\.0: .*lb_polcy/);
    }
    const r = await run(['check', cross]);
    assert.equal(r.code, 1);
    assert.match(r.err, /cross\.yaml: 2 issues/);
    assert.match(r.err, /routes\.0\.cluster: unknown cluster "ghost"/);
    assert.match(r.err, /routes\.1\.degradation\.fallback_cluster: must differ from the route cluster/);
  });

  it('--help prints the usage and --version the version; an unknown option is refused, not ignored', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /brownout check <file>/);
    const version = await run(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.out, /^brownout \d+\.\d+\.\d+\n$/);
    const bad = await run(['--config', 'x.yaml', '--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /Unknown option '--bogus'/);
  });
});

describe('gateway CLI', () => {
  it('refuses to start on a bad config, listing every error by path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brownout-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, stringify({ clusters: [{ name: 'api', hosts: ['nope'] }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'ghost', timeout: 'soon' }] }));
    const p = start(['--config', file]);
    assert.equal(await p.exit, 1);
    assert.match(p.stderr(), /clusters\.0\.hosts\.0: expected "host:port"/);
    assert.match(p.stderr(), /routes\.0\.timeout: expected a duration/);
  });

  it('reloads on SIGHUP, refuses an invalid file, and exits cleanly on SIGTERM', async () => {
    const ups = await upstreams(1);
    const dir = mkdtempSync(join(tmpdir(), 'brownout-cli-'));
    const file = join(dir, 'gw.yaml');
    const cfg = (timeout: string) => ({ listener: { port: 0 }, admin: { port: 0 }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', timeout }] });
    writeFileSync(file, stringify(cfg('5s')));
    const p = start(['--config', file]);
    await eventually(() => p.stderr().includes('brownout gateway listening'), 15_000, 'start-up');
    const line = JSON.parse(p.stderr().split('\n').find(l => l.includes('listening'))!) as { public: string; admin: string };
    assert.equal((await request(`${line.public}/hi`)).statusCode, 200);

    writeFileSync(file, stringify(cfg('7s')));
    p.child.kill('SIGHUP');
    await eventually(() => p.stderr().includes('config reloaded'), 5_000, 'reload');
    writeFileSync(file, 'routes: 12\n');
    p.child.kill('SIGHUP');
    await eventually(() => p.stderr().includes('config reload refused'), 5_000, 'refusal');
    const cfgNow = (await (await request(`${line.admin}/config`, { headers: { authorization: 'Bearer t' } })).body.json()) as { routes: { timeout: number }[] };
    assert.equal(cfgNow.routes[0]!.timeout, 7_000);
    assert.equal((await request(`${line.public}/still-up`)).statusCode, 200);

    p.child.kill('SIGTERM');
    assert.equal(await p.exit, 0);
  });

  it('two gateway processes enforce a switch written to Redis by a third party', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const dir = mkdtempSync(join(tmpdir(), 'brownout-cli-'));
    const file = join(dir, 'gw.yaml');
    writeFileSync(
      file,
      stringify({
        listener: { port: 0 },
        admin: { port: 0 },
        clusters: [{ name: 'api', hosts: hostsOf(ups) }],
        routes: [{ name: 'items', match: { prefix: '/' }, cluster: 'api', priority: 'low', degradation: { mode: 'default', default_response: { body: 'shed' } } }],
      }),
    );
    const procs = [0, 1].map(i => start(['--config', file], { REDIS_URL: redis.url, BROWNOUT_SWITCH_SNAPSHOT: join(dir, `snap${i}.json`) }));
    const urls: string[] = [];
    for (const p of procs) {
      await eventually(() => p.stderr().includes('brownout gateway listening'), 15_000, 'start-up');
      urls.push((JSON.parse(p.stderr().split('\n').find(l => l.includes('listening'))!) as { public: string }).public);
    }
    const body = async (u: string) => (await request(`${u}/x`)).body.text();
    for (const u of urls) assert.notEqual(await body(u), 'shed');
    assert.deepEqual(await writeSwitchDocument(redis.client(), { version: 1, global_level: 1 }), { ok: true, version: 1 });
    await eventually(async () => (await body(urls[0]!)) === 'shed' && (await body(urls[1]!)) === 'shed', 3_000, 'both processes to shed');
    for (const p of procs) p.child.kill('SIGTERM');
    for (const p of procs) assert.equal(await p.exit, 0);
  });
});
