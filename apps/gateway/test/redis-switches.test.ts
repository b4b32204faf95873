import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfigInput } from '@brownout/core/config';
import { eventually, gateway, hostsOf, upstreams, type RunningGateway } from './harness.ts';
import { redisServer } from '@brownout/control-plane/testing';
import { writeSwitchDocument } from '@brownout/control-plane';
import { SWITCH_CHANNEL, SWITCH_KEY, SWITCH_LOG } from '@brownout/control-plane';

const cfg = (hosts: string[]): GatewayConfigInput => ({
  clusters: [{ name: 'api', hosts }],
  routes: [
    { name: 'items', match: { prefix: '/items' }, cluster: 'api', priority: 'low', degradation: { mode: 'default', default_response: { body: 'degraded items' } } },
    { name: 'pay', match: { prefix: '/pay' }, cluster: 'api', priority: 'critical', degradation: { mode: 'reject' } },
  ],
});

const degraded = async (g: RunningGateway): Promise<boolean> => (await g.get('/items/1')).text === 'degraded items';
const switchesOf = async (g: RunningGateway) =>
  (await g.adminGet('/switches')).json<{ source: string; connected: boolean; stale_ms: number | null; version: number }>();

describe('switches through Redis (fleet mode)', () => {
  it('a switch written by one client is enforced by two gateways, and the write is atomic with its change-log entry', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const a = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    const b = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    assert.equal(await degraded(a), false);
    const writer = redis.client();
    const w = await writeSwitchDocument(writer, { version: 1, routes: { items: { mode: 'default', reason: 'incident', actor: 'ana' } } });
    assert.deepEqual(w, { ok: true, version: 1 });
    await eventually(async () => (await degraded(a)) && (await degraded(b)), 2_000, 'both gateways to enforce the switch');
    // One switch entry (the gateways also log their own start as 'instance' entries).
    assert.equal((await writer.xrange(SWITCH_LOG, '-', '+')).filter(([, f]) => f.includes('version')).length, 1);
    const s = await switchesOf(a);
    assert.deepEqual([s.source, s.connected, s.version], ['redis', true, 1]);
  });

  it('ignores stale versions from writers and from Redis itself', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    const writer = redis.client();
    await writeSwitchDocument(writer, { version: 5, global_level: 1 });
    await eventually(() => degraded(g), 2_000, 'level 1 to shed the low route');
    const stale = await writeSwitchDocument(writer, { version: 4, global_level: 0 });
    assert.deepEqual(stale, { ok: false, reason: 'stale', current: 5 });
    // Someone bypasses the writer and puts an older document in Redis: the gateway keeps v5.
    await writer.set(SWITCH_KEY, JSON.stringify({ version: 3, global_level: 0 }));
    await writer.publish(SWITCH_CHANNEL, '3');
    await new Promise(r => setTimeout(r, 200));
    assert.equal(await degraded(g), true);
    assert.equal((await switchesOf(g)).version, 5);
  });

  it('an invalid document in Redis is ignored, counted and logged, and never crashes the gateway', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    const writer = redis.client();
    await writeSwitchDocument(writer, { version: 1, global_level: 1 });
    await eventually(() => degraded(g), 2_000, 'v1');
    const bads = ['{not json', JSON.stringify({ version: 2, global_level: 'max' }), JSON.stringify({ version: 3, routes: { items: { mode: 'teleport' } } })];
    for (const [i, bad] of bads.entries()) {
      await writer.set(SWITCH_KEY, bad);
      await writer.publish(SWITCH_CHANNEL, 'x');
      // Each distinct bad document is counted once (and not again on every reconcile).
      const want = new RegExp(`brownout_switch_errors_total\\{source="redis"\\} ${i + 1}\n`);
      await eventually(async () => want.test((await g.adminGet('/stats/prometheus')).text), 2_000, `error ${i + 1} to be counted`);
    }
    assert.equal(await degraded(g), true, 'the last good switches stay in force');
    assert.equal((await g.get('/pay')).status, 200);
  });

  it('keeps serving with the last switches when Redis dies mid-traffic, reports staleness, and catches up when it returns', async () => {
    const redis = await redisServer();
    const ups = await upstreams(2);
    const g = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url, reconcileMs: 100 });
    const writer = redis.client();
    await writeSwitchDocument(writer, { version: 1, routes: { items: { mode: 'default', reason: 'r', actor: 'a' } } });
    await eventually(() => degraded(g), 2_000, 'switch');
    let failures = 0;
    let sent = 0;
    const running = { stop: false };
    const traffic = (async () => {
      while (!running.stop) {
        const [x, y] = await Promise.all([g.get('/pay'), g.get('/items/2')]);
        sent += 2;
        if (x.status !== 200 || y.text !== 'degraded items') failures++;
      }
    })();
    await new Promise(r => setTimeout(r, 100));
    await redis.stop();
    await new Promise(r => setTimeout(r, 400));
    const during = await switchesOf(g);
    assert.equal(during.connected, false);
    assert.ok(during.stale_ms !== null && during.stale_ms >= 200, `staleness reported: ${during.stale_ms}`);
    assert.match((await g.adminGet('/stats/prometheus')).text, /brownout_switch_store_connected 0/);
    running.stop = true;
    await traffic;
    assert.ok(sent > 10);
    assert.equal(failures, 0, 'no request lost and the switch stayed in force');

    await redis.start();
    const writer2 = redis.client();
    await eventually(async () => {
      try {
        return (await writeSwitchDocument(writer2, { version: 2, routes: {} })).ok;
      } catch {
        return false;
      }
    }, 5_000, 'redis back');
    await eventually(async () => !(await degraded(g)), 5_000, 'gateway to reconcile after reconnect');
    assert.equal((await switchesOf(g)).connected, true);
  });

  it('restarts with Redis down using the local snapshot', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const snapshot = join(mkdtempSync(join(tmpdir(), 'brownout-snap-')), 'switches.json');
    const first = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url, snapshotPath: snapshot });
    await writeSwitchDocument(redis.client(), { version: 7, global_level: 1 });
    await eventually(() => degraded(first), 2_000, 'switch');
    await eventually(() => {
      try {
        return (JSON.parse(readFileSync(snapshot, 'utf8')) as { version: number }).version === 7;
      } catch {
        return false;
      }
    }, 2_000, 'snapshot written');
    await first.close();
    await redis.stop();
    const second = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url, snapshotPath: snapshot });
    assert.equal(await degraded(second), true, 'the snapshot switches are enforced with Redis down');
    const s = await switchesOf(second);
    assert.deepEqual([s.connected, s.version, s.stale_ms], [false, 7, null]);
  });

  it('a switch expires on time even while Redis is down', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    const expires = new Date(Date.now() + 600).toISOString();
    await writeSwitchDocument(redis.client(), { version: 1, routes: { items: { mode: 'default', reason: 'r', actor: 'a', expires_at: expires } } });
    await eventually(() => degraded(g), 2_000, 'switch');
    await redis.stop();
    assert.equal(await degraded(g), true);
    await eventually(async () => !(await degraded(g)), 2_000, 'expiry');
  });

  it('the admin API writes through Redis for the whole fleet, and says so when Redis is unreachable', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const a = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    const b = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    const { request } = await import('undici');
    const put = (doc: unknown) =>
      request(`${a.admin}/switches`, { method: 'PUT', headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' }, body: JSON.stringify(doc) });
    assert.equal((await put({ version: 1, global_level: 1 })).statusCode, 200);
    await eventually(() => degraded(b), 2_000, 'the other gateway to follow');
    await redis.stop();
    assert.equal((await put({ version: 2, global_level: 0 })).statusCode, 503);
    assert.equal(await degraded(a), true);
  });
});

describe('switch versions', () => {
  it('assigns the next version when a writer omits it, in Redis and in the embedded store', async () => {
    const redis = await redisServer();
    const writer = redis.client();
    assert.deepEqual(await writeSwitchDocument(writer, { global_level: 1 }), { ok: true, version: 1 });
    assert.deepEqual(await writeSwitchDocument(writer, { global_level: 2 }), { ok: true, version: 2 });
    const { SwitchStore } = await import('@brownout/control-plane');
    const store = new SwitchStore();
    assert.deepEqual(store.apply({ global_level: 1 }), { ok: true, version: 1 });
    assert.deepEqual(store.apply({ global_level: 0 }), { ok: true, version: 2 });
  });
});
