import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redisServer } from '@brownout/control-plane/testing';
import { readFleet, writeSwitchDocument } from '@brownout/control-plane';
import { BrownoutRejected, connectBrownout } from '../src/index.ts';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const sw = (mode: string, extra: Record<string, unknown> = {}) => ({ mode, reason: 'incident', actor: 'ana', ...extra });
const fetchRecs = () => Promise.resolve(['live']);

describe('@brownout/sdk on a real Redis', () => {
  it('a switch written through the control plane changes what entry() does within 50 ms', async () => {
    const redis = await redisServer();
    const b = await connectBrownout({ redisUrl: redis.url, service: 'product-page', reconcileMs: 60_000 });
    try {
      const opts = { fallback: { default: ['fallback'] } };
      assert.deepEqual(await b.entry('recommendations', fetchRecs, opts), ['live']);
      const t0 = performance.now();
      assert.equal((await writeSwitchDocument(redis.client(), { routes: { recommendations: sw('default') } })).ok, true);
      let value: string[] = ['live'];
      while (value[0] === 'live' && performance.now() - t0 < 1_000) {
        value = await b.entry('recommendations', fetchRecs, opts);
        if (value[0] === 'live') await sleep(1);
      }
      const ms = performance.now() - t0;
      assert.deepEqual(value, ['fallback']);
      assert.ok(ms < 50, `took ${ms.toFixed(1)} ms`);
    } finally {
      await b.close();
    }
  });

  it('shadow switches count without changing results; expiry reverts; the level sheds by priority', async () => {
    const redis = await redisServer();
    const b = await connectBrownout({ redisUrl: redis.url, service: 's', reconcileMs: 60_000 });
    try {
      const c = redis.client();
      await writeSwitchDocument(c, { routes: { recs: sw('default', { shadow: true }) } });
      await sleep(30);
      assert.deepEqual(await b.entry('recs', fetchRecs, { fallback: { default: [] } }), ['live']);
      assert.equal((b.status() as { resources: { shadow: number }[] }).resources[0]!.shadow, 1);
      await writeSwitchDocument(c, { routes: { recs: sw('default', { expires_at: new Date(Date.now() + 150).toISOString() }) } });
      await sleep(30);
      assert.deepEqual(await b.entry('recs', fetchRecs, { fallback: { default: [] } }), []);
      await sleep(150);
      assert.deepEqual(await b.entry('recs', fetchRecs, { fallback: { default: [] } }), ['live'], 'reverted at expiry');
      await writeSwitchDocument(c, { global_level: 1 });
      await sleep(30);
      assert.deepEqual(await b.entry('widgets', fetchRecs, { priority: 'low', fallback: { default: ['shed'] } }), ['shed']);
      assert.deepEqual(await b.entry('checkout', fetchRecs, { priority: 'critical', fallback: { default: ['shed'] } }), ['live']);
      await assert.rejects(b.entry('no-fallback', fetchRecs, { priority: 'low' }), BrownoutRejected);
    } finally {
      await b.close();
    }
  });

  it("a failing call opens the resource's breaker: the fallback is served and the call is not made while open", async () => {
    const b = await connectBrownout({ service: 'payments' });
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('provider down'));
    };
    const opts = { fallback: { default: 'queued' }, breaker: { consecutive_failures: 3, open_duration: 60_000 } };
    for (let i = 0; i < 3; i++) assert.equal(await b.entry('charge', failing, opts), 'queued');
    assert.equal(calls, 3);
    for (let i = 0; i < 5; i++) assert.equal(await b.entry('charge', failing, opts), 'queued');
    assert.equal(calls, 3, 'the open breaker keeps calls off the provider');
    await assert.rejects(b.entry('other', failing), /provider down/, 'without a fallback the error is the caller\'s');
    // A cached last good value is served when the call fails.
    let ok = true;
    const flaky = () => (ok ? Promise.resolve('fresh') : Promise.reject(new Error('x')));
    assert.equal(await b.entry('quote', flaky, { fallback: { cache: true } }), 'fresh');
    ok = false;
    assert.equal(await b.entry('quote', flaky, { fallback: { cache: true } }), 'fresh');
    await b.close();
  });

  it('with Redis stopped the last switches stay and calls are not slowed; the instance shows in the fleet status', async () => {
    const redis = await redisServer();
    const b = await connectBrownout({ redisUrl: redis.url, service: 'product-page', reconcileMs: 50, heartbeatMs: 50 });
    try {
      await writeSwitchDocument(redis.client(), { routes: { recs: sw('default') } });
      await sleep(50);
      const fleet = await readFleet(redis.client());
      const me = fleet.find(s => s.instance === b.instanceId);
      assert.ok(me, 'the SDK instance is in the fleet status');
      assert.equal(me.kind, 'sdk');
      assert.equal(me.service, 'product-page');
      await redis.stop();
      await sleep(100);
      const t0 = performance.now();
      for (let i = 0; i < 100; i++) {
        assert.deepEqual(await b.entry('recs', fetchRecs, { fallback: { default: ['kept'] } }), ['kept']);
        assert.deepEqual(await b.entry('other', fetchRecs), ['live']);
      }
      const ms = performance.now() - t0;
      assert.ok(ms < 100, `200 calls with Redis down took ${ms.toFixed(1)} ms`);
    } finally {
      await b.close();
    }
  });
});
