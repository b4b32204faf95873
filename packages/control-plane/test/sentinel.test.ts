import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, quietLog, useSentinel } from '../src/testing/index.ts';
import { RedisSwitchSync, SwitchStore, connectRedis, replicationFor, writeSwitchDocument, type WriteResult } from '../src/index.ts';

// The control plane on a real Redis Sentinel deployment (issue 25): a primary, a replica and three
// sentinels started by the test, the primary SIGKILLed mid-test.

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));


describe('control plane on Redis Sentinel', { timeout: 120_000 }, () => {
  const s = useSentinel();

  it('a confirmed switch write has reached a replica; with the replica frozen it says none did', async () => {
    const writer = connectRedis(s.url, { maxRetriesPerRequest: 2 });
    try {
      const replicas = replicationFor(s.url);
      assert.deepEqual(replicas, { count: 1, timeoutMs: 1_000 });
      const r = await writeSwitchDocument(writer, { global_level: 1 }, 'test', { replicas });
      assert.ok(r.ok && r.replicated === 1, JSON.stringify(r));
      const primary = await s.primaryPort();
      const replica = s.dataPorts.find(p => p !== primary)!;
      s.freeze(replica, true);
      try {
        const t0 = Date.now();
        const r2 = await writeSwitchDocument(writer, { global_level: 2 }, 'test', { replicas });
        assert.ok(r2.ok && r2.replicated === 0, `no replica acknowledged: ${JSON.stringify(r2)}`);
        assert.ok(Date.now() - t0 >= 900, 'it waited for the acknowledgement');
      } finally {
        s.freeze(replica, false);
      }
    } finally {
      writer.disconnect();
    }
  });

  it('a gateway\'s sync rides out a SIGKILLed primary: the last switches stay, a write after the failover is enforced without a restart', async () => {
    const store = new SwitchStore();
    const sync = new RedisSwitchSync(store, { url: s.url, log: quietLog, onInvalid: () => undefined, reconcileMs: 500 });
    await sync.start();
    const writer = connectRedis(s.url, { maxRetriesPerRequest: 2 });
    writer.on('error', () => undefined);
    try {
      const before = await writeSwitchDocument(writer, { global_level: 3, routes: { items: { mode: 'reject', reason: 'before the failover', actor: 'ana' } } }, 'test', { replicas: replicationFor(s.url) });
      assert.ok(before.ok && before.replicated === 1, JSON.stringify(before));
      await eventually(() => store.version === before.version, 5_000, 'the write enforced before the failover');
      await s.killPrimary();
      // Served from the last known document throughout.
      assert.equal(store.version, before.version);
      assert.equal(store.state.routes.get('items')?.mode, 'reject');
      // The confirmed write survived: the promoted replica has it.
      let after: WriteResult | undefined;
      for (let i = 0; i < 50 && !after?.ok; i++) {
        after = await writeSwitchDocument(writer, { global_level: 0, routes: {} }, 'test', { replicas: replicationFor(s.url) }).catch(() => undefined);
        if (!after?.ok) await sleep(200);
      }
      assert.ok(after?.ok, `a write after the failover: ${JSON.stringify(after)}`);
      assert.equal(after.version, before.version + 1, 'numbered after the write the failover kept');
      await eventually(() => store.version === after.version, 10_000, 'the write after the failover enforced by the same sync, no restart');
      assert.equal(store.state.routes.size, 0);
    } finally {
      writer.disconnect();
      await sync.stop();
    }
  });
});
