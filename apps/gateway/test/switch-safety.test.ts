import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayConfigInput } from '@brownout/core/config';
import { eventually, gateway, hostsOf, recordingLog, sleep, upstreams, type RunningGateway } from './harness.ts';
import { redisServer } from '@brownout/control-plane/testing';
import { writeSwitchDocument } from '@brownout/control-plane';
import { SWITCH_CHANNEL, SWITCH_KEY } from '@brownout/control-plane';

const cfg = (hosts: string[]): GatewayConfigInput => ({
  clusters: [{ name: 'api', hosts }],
  routes: [
    { name: 'items', match: { prefix: '/items' }, cluster: 'api', priority: 'low', degradation: { mode: 'default', default_response: { body: 'degraded items' } } },
    { name: 'pay', match: { prefix: '/pay' }, cluster: 'api', priority: 'critical' },
  ],
});

const degraded = async (g: RunningGateway): Promise<boolean> => (await g.get('/items/1')).text === 'degraded items';
interface SwitchView { version: number; regression: { redis_version: number | null; enforced_version: number; action: string } | null }
interface Refusal { error: { code: string; issues: { path: string; message: string }[] } }
const versionIn = (raw: string | null): number => (JSON.parse(raw ?? '{}') as { version?: number }).version ?? -1;
const sw = (mode: string, extra: Record<string, unknown> = {}) => ({ mode, reason: 'incident', actor: 'ana', ...extra });

describe('switch safety: versions, lost keys, hostile documents', () => {
  it('after Redis loses the key, an admin write gets a version above what the gateway enforces, and is applied for real', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    // Slow reconcile: the write itself must get the version right, not a later repair.
    const g = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url, reconcileMs: 60_000 });
    for (let i = 0; i < 3; i++) assert.equal((await g.adminPut('/switches', { global_level: i % 2 })).status, 200);
    assert.equal((await g.adminGet('/switches')).json<SwitchView>().version, 3);
    await redis.client().flushall();
    const r = await g.adminPut('/switches', { routes: { items: sw('default') } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json(), { saved: true, applied: true, version: 4 });
    assert.equal(await degraded(g), true, 'the written switch is enforced');
  });

  it('a gateway that finds Redis behind it (key gone, older version) says so and re-publishes the document it enforces', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const rec = recordingLog();
    const g = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url, reconcileMs: 50, log: rec.log });
    const other = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url, reconcileMs: 50, log: rec.log });
    const writer = redis.client();
    await writeSwitchDocument(writer, { version: 5, routes: { items: sw('default') } });
    await eventually(async () => (await degraded(g)) && (await degraded(other)), 2_000, 'v5 everywhere');
    await writer.flushall();
    await eventually(async () => (await writer.get(SWITCH_KEY)) !== null, 2_000, 'the document to be re-published');
    assert.equal(versionIn(await writer.get(SWITCH_KEY)), 5);
    // Both gateways race to restore; whichever saw Redis behind it reports it.
    const views = [(await g.adminGet('/switches')).json<SwitchView>(), (await other.adminGet('/switches')).json<SwitchView>()];
    assert.deepEqual(views.map(v => v.version), [5, 5]);
    const seen = views.find(v => v.regression !== null);
    assert.ok(seen?.regression, '/switches reports the regression');
    assert.deepEqual([seen.regression.redis_version, seen.regression.enforced_version], [null, 5]);
    assert.ok(rec.lines.some(l => l.level >= 50 && /GONE from Redis/.test(l.msg)), 'logged loudly');
    // Someone puts an older document straight into Redis: the newer one comes back.
    await writer.set(SWITCH_KEY, JSON.stringify({ version: 2, global_level: 0 }));
    await writer.publish(SWITCH_CHANNEL, JSON.stringify({ version: 2, global_level: 0 }));
    await eventually(async () => versionIn(await writer.get(SWITCH_KEY)) === 5, 2_000, 'v5 restored over v2');
    assert.equal(await degraded(g), true);
    const counted = [(await g.adminGet('/stats/prometheus')).text, (await other.adminGet('/stats/prometheus')).text];
    assert.ok(counted.some(t => /brownout_switch_version_regressions_total [1-9]/.test(t)), 'counted');
  });

  it('refuses absurd versions, and a near-2^53 document left in Redis cannot freeze the switches', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url, reconcileMs: 60_000 });
    const huge = await g.adminPut('/switches', { version: Number.MAX_SAFE_INTEGER, global_level: 1 });
    assert.equal(huge.status, 400);
    assert.equal(huge.json<Refusal>().error.issues[0]!.path, 'version');
    const jump = await g.adminPut('/switches', { version: 5_000_000, global_level: 1 });
    assert.equal(jump.status, 400);
    assert.match(jump.json<Refusal>().error.issues[0]!.message, /jumps more than 1000000/);
    // Written straight into Redis, bypassing every writer.
    const writer = redis.client();
    await writer.set(SWITCH_KEY, JSON.stringify({ version: Number.MAX_SAFE_INTEGER, global_level: 3 }));
    await g.gw.switchSync!.reconcile('test');
    assert.equal(await degraded(g), false, 'the absurd document is not applied');
    const r = await g.adminPut('/switches', { routes: { items: sw('default') } });
    assert.equal(r.status, 200, r.text);
    assert.equal(await degraded(g), true, 'later writes still work');
  });

  it('refuses switches for unknown routes (naming the known ones) and already-expired switches, embedded and in fleet mode', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    for (const g of [await gateway(cfg(hostsOf(ups))), await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url })]) {
      const unknown = await g.adminPut('/switches', { routes: { itmes: sw('reject') }, fallbacks: { nope: { body: 'x' } } });
      assert.equal(unknown.status, 400);
      const issues = unknown.json<Refusal>().error.issues;
      assert.deepEqual(issues.map(i => i.path), ['routes.itmes', 'fallbacks.nope']);
      assert.match(issues[0]!.message, /known routes: items, pay/);
      const expired = await g.adminPut('/switches', { routes: { items: sw('reject', { expires_at: new Date(Date.now() - 60_000).toISOString() }) } });
      assert.equal(expired.status, 400);
      assert.equal(expired.json<Refusal>().error.issues[0]!.path, 'routes.items.expires_at');
      assert.equal(await degraded(g), false);
    }
  });

  it('a document from Redis naming unknown routes is enforced for the known ones, logged once and counted', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const rec = recordingLog();
    const g = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url, reconcileMs: 50, log: rec.log });
    await writeSwitchDocument(redis.client(), { version: 1, routes: { items: sw('default'), ghost: sw('reject') } });
    await eventually(() => degraded(g), 2_000, 'the known switch');
    await sleep(200);
    assert.equal(rec.lines.filter(l => /names routes this gateway does not have/.test(l.msg)).length, 1);
    assert.match((await g.adminGet('/stats/prometheus')).text, /brownout_switch_unknown_routes_total 1/);
  });

  it('an invalid document left in Redis is logged once, not on every reconcile', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const rec = recordingLog();
    const g = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url, reconcileMs: 30, log: rec.log });
    await redis.client().set(SWITCH_KEY, JSON.stringify({ version: 7, global_level: 'max' }));
    await sleep(400);
    assert.equal(rec.lines.filter(l => /invalid switch document/.test(l.msg)).length, 1);
    assert.match((await g.adminGet('/stats/prometheus')).text, /brownout_switch_errors_total\{source="redis"\} 1/);
  });
});
