import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useSentinel } from '@brownout/control-plane/testing';
import { connectRedis, readFleet, replicationFor, writeSwitchDocument } from '@brownout/control-plane';
import { connectBrownout } from '../src/index.ts';

// The SDK on Redis Sentinel (issue 25): the same switches through a failover, and its fleet status
// back on the promoted primary without a restart.

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const fetchRecs = () => Promise.resolve(['live']);

describe('@brownout/sdk on Redis Sentinel', { timeout: 120_000 }, () => {
  const s = useSentinel();

  it('keeps its switches through a SIGKILLed primary, follows a write made after it, and reports to the new primary', async () => {
    const b = await connectBrownout({ redisUrl: s.url, service: 'product-page', reconcileMs: 500, heartbeatMs: 200 });
    const writer = connectRedis(s.url, { maxRetriesPerRequest: 2 });
    writer.on('error', () => undefined);
    const opts = { fallback: { default: ['fallback'] } };
    const value = () => b.entry('recommendations', fetchRecs, opts);
    try {
      const w = await writeSwitchDocument(writer, { routes: { recommendations: { mode: 'default', reason: 'incident', actor: 'ana' } } }, 'test', { replicas: replicationFor(s.url) });
      assert.ok(w.ok && w.replicated === 1, JSON.stringify(w));
      for (let i = 0; i < 100 && (await value())[0] === 'live'; i++) await sleep(20);
      assert.deepEqual(await value(), ['fallback']);
      await s.killPrimary();
      assert.deepEqual(await value(), ['fallback'], 'the last switches stay in force');
      let cleared = false;
      for (let i = 0; i < 50 && !cleared; i++) {
        cleared = (await writeSwitchDocument(writer, { routes: {} }, 'test').catch(() => ({ ok: false }))).ok;
        if (!cleared) await sleep(200);
      }
      assert.ok(cleared, 'a write after the failover');
      for (let i = 0; i < 250 && (await value())[0] === 'fallback'; i++) await sleep(20);
      assert.deepEqual(await value(), ['live'], 'the write after the failover is followed without a restart');
      // Its heartbeat reaches the promoted primary (the fleet view recovers).
      const primary = s.direct(await s.primaryPort());
      try {
        let seen = false;
        for (let i = 0; i < 50 && !seen; i++) {
          seen = (await readFleet(primary)).some(i => i.instance === b.instanceId);
          if (!seen) await sleep(100);
        }
        assert.ok(seen, 'the SDK instance is in the fleet status on the new primary');
      } finally {
        primary.disconnect();
      }
    } finally {
      writer.disconnect();
      await b.close();
    }
  });
});
