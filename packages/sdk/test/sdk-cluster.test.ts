import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster } from '@brownout/control-plane/testing';
import { INSTANCE_PREFIX, SWITCH_KEY, connectRedis, readFleet, replicationFor, writeSwitchDocument } from '@brownout/control-plane';
import { connectBrownout } from '../src/index.ts';

// The SDK on Redis Cluster (issue 25): switches through the cluster's pub/sub, its heartbeat on
// whichever primary serves its key, the switch slot's primary SIGKILLed and the SDK following a
// write made after the failover without a restart.

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const fetchRecs = () => Promise.resolve(['live']);

describe('@brownout/sdk on Redis Cluster', { timeout: 120_000 }, () => {
  const c = useCluster();

  it('follows switches, reports its status, and rides out the switch slot\'s primary being killed', async () => {
    const b = await connectBrownout({ redisUrl: c.url, service: 'product-page', reconcileMs: 500, heartbeatMs: 200 });
    const writer = connectRedis(c.url, { maxRetriesPerRequest: 2 });
    writer.on('error', () => undefined);
    const opts = { fallback: { default: ['fallback'] } };
    const value = () => b.entry('recommendations', fetchRecs, opts);
    try {
      const w = await writeSwitchDocument(writer, { routes: { recommendations: { mode: 'default', reason: 'incident', actor: 'ana' } } }, 'test', { replicas: replicationFor(c.url) });
      assert.ok(w.ok && w.replicated === 1, JSON.stringify(w));
      for (let i = 0; i < 100 && (await value())[0] === 'live'; i++) await sleep(20);
      assert.deepEqual(await value(), ['fallback']);
      let seen = false;
      for (let i = 0; i < 50 && !seen; i++) {
        seen = (await readFleet(writer)).some(s => s.instance === b.instanceId);
        if (!seen) await sleep(100);
      }
      assert.ok(seen, `the SDK's status (on the primary of ${INSTANCE_PREFIX}${b.instanceId}) is in the fleet view`);

      c.kill(await c.primaryFor(SWITCH_KEY));
      assert.deepEqual(await value(), ['fallback'], 'the last switches stay in force');
      let cleared = false;
      for (let i = 0; i < 100 && !cleared; i++) {
        cleared = (await writeSwitchDocument(writer, { routes: {} }, 'test').catch(() => ({ ok: false }))).ok;
        if (!cleared) await sleep(200);
      }
      assert.ok(cleared, 'a write after the failover');
      for (let i = 0; i < 250 && (await value())[0] === 'fallback'; i++) await sleep(20);
      assert.deepEqual(await value(), ['live'], 'the write after the failover is followed without a restart');
    } finally {
      writer.disconnect();
      await b.close();
    }
  });
});
