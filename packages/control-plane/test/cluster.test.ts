import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';
import { eventually, quietLog, useCluster } from '../src/testing/index.ts';
import { FleetReporter, RedisSwitchSync, SWITCH_KEY, SWITCH_LOG, SwitchStore, connectRedis, readChangeLog, readFleet, replicationFor, writeSwitchDocument, type WriteResult } from '../src/index.ts';

// The control plane on a real Redis Cluster (issue 25): three primaries with a replica each,
// started by the test; the primary serving the switch slot SIGKILLed and restarted mid-test.

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));


describe('control plane on Redis Cluster', { timeout: 120_000 }, () => {
  const c = useCluster();

  it('every key of one operation shares a slot: the switch document, its change log and notice (MULTI on one node)', async () => {
    const probe = connectRedis(c.url, { maxRetriesPerRequest: 2 }) as Cluster;
    try {
      const slots = await Promise.all([SWITCH_KEY, SWITCH_LOG].map(k => probe.cluster('KEYSLOT', k)));
      assert.equal(new Set(slots).size, 1, `one slot for the switch document and its log: ${slots.join(', ')}`);
    } finally {
      probe.disconnect();
    }
  });

  it('flip → notice → enforced, confirmed by the slot\'s replica; fleet status and the change log read across nodes', async () => {
    const store = new SwitchStore();
    const sync = new RedisSwitchSync(store, { url: c.url, log: quietLog, onInvalid: () => undefined, reconcileMs: 60_000 });
    await sync.start();
    const writer = connectRedis(c.url, { maxRetriesPerRequest: 2 });
    const reporters = ['gw-a', 'gw-b', 'gw-c', 'gw-d', 'gw-e'].map(id => new FleetReporter(id, writer, () => ({ instance: id, switches_version: store.version }), quietLog, 60_000));
    try {
      // The periodic reconcile is a minute away: only the pub/sub notice can deliver this in time.
      await sleep(300);
      const t0 = Date.now();
      const r = await writeSwitchDocument(writer, { global_level: 2, routes: { items: { mode: 'reject', reason: 'cluster flip', actor: 'ana' } } }, 'test', { replicas: replicationFor(c.url) });
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.replicated, 1, 'the replica of the slot\'s primary acknowledged the write');
      await eventually(() => store.version === r.version, 2_000, 'the notice delivered over cluster pub/sub');
      assert.ok(Date.now() - t0 < 2_000);
      assert.equal(store.state.routes.get('items')?.mode, 'reject');
      // Instance keys spread over the three primaries; the fleet read visits them all.
      await Promise.all(reporters.map(rep => rep.publish()));
      const owners = new Set(await Promise.all(reporters.map(rep => c.primaryFor(rep.key))));
      assert.ok(owners.size >= 2, 'the instance keys are on more than one primary');
      const fleet = await readFleet(writer);
      assert.deepEqual(fleet.map(f => f.instance).sort(), ['gw-a', 'gw-b', 'gw-c', 'gw-d', 'gw-e']);
      const log = await readChangeLog(writer, { limit: 20 });
      assert.ok(log.some(e => e.type === 'switch' && e.version === r.version), 'the write is in the change log');
    } finally {
      await Promise.all(reporters.map(rep => rep.stop()));
      writer.disconnect();
      await sync.stop();
    }
  });

  it('the switch slot\'s primary SIGKILLed: last switches kept, a write after the failover enforced without a restart; the node restarted rejoins', async () => {
    const store = new SwitchStore();
    const sync = new RedisSwitchSync(store, { url: c.url, log: quietLog, onInvalid: () => undefined, reconcileMs: 500 });
    await sync.start();
    const writer = connectRedis(c.url, { maxRetriesPerRequest: 2 });
    writer.on('error', () => undefined);
    try {
      const before = await writeSwitchDocument(writer, { global_level: 3, routes: { items: { mode: 'reject', reason: 'before the failover', actor: 'ana' } } }, 'test', { replicas: replicationFor(c.url) });
      assert.ok(before.ok && before.replicated === 1, JSON.stringify(before));
      await eventually(() => store.version === before.version, 5_000, 'enforced before the failover');
      const victim = await c.primaryFor(SWITCH_KEY);
      c.kill(victim);
      const killedAt = Date.now();
      // Served from the last known document while the cluster promotes the replica.
      let after: WriteResult | undefined;
      while (!after?.ok && Date.now() - killedAt < 20_000) {
        assert.equal(store.state.routes.get('items')?.mode, 'reject');
        after = await writeSwitchDocument(writer, { global_level: 0, routes: {} }, 'test', { replicas: replicationFor(c.url) }).catch(() => undefined);
        if (!after?.ok) await sleep(200);
      }
      assert.ok(after?.ok, `a write after the failover: ${JSON.stringify(after)}`);
      assert.equal(after.version, before.version + 1, 'numbered after the write the failover kept (the replica had it)');
      await eventually(() => store.version === after.version, 10_000, 'the write after the failover enforced by the same sync');
      assert.equal(store.state.routes.size, 0);
      assert.notEqual(await c.primaryFor(SWITCH_KEY), victim, 'the replica was promoted');
      // The old primary comes back empty, as a replica of the promoted one; the next write reaches it.
      await c.restart(victim);
      await c.healthy();
      let third: WriteResult | undefined;
      for (let i = 0; i < 50 && !(third?.ok && third.replicated === 1); i++) {
        third = await writeSwitchDocument(writer, { global_level: 1 }, 'test', { replicas: replicationFor(c.url) }).catch(() => undefined);
        if (!(third?.ok && third.replicated === 1)) await sleep(200);
      }
      assert.ok(third?.ok && third.replicated === 1, `the restarted node replicates the next write: ${JSON.stringify(third)}`);
      await eventually(() => store.version === third.version, 5_000, 'enforced');
    } finally {
      writer.disconnect();
      await sync.stop();
    }
  });
});
