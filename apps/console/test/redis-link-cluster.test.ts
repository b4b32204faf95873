import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FleetReporter, connectRedis } from '@brownout/control-plane';
import { useCluster } from '@brownout/control-plane/testing';
import { parseSwitchDocument } from '@brownout/core/config';
import { RedisLink } from '@/features/fleet/redis-link.ts';

// The console's fleet link on a real Redis Cluster (issue 25): the same calls the switch board,
// fleet overview and timeline make — a write confirmed by the switch slot's replica, the fleet
// read across every primary, the change log — with a password in REDIS_URL, never shown.

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('console fleet link on Redis Cluster', { timeout: 120_000 }, () => {
  const c = useCluster();

  it('writes (confirmed by a replica), reads the fleet from every primary and the change log; the target hides the password', async () => {
    const link = new RedisLink(c.url);
    const redis = connectRedis(c.url, { maxRetriesPerRequest: 2 });
    const reporters = Array.from({ length: 6 }, (_, i) => new FleetReporter(`gw-${i}`, redis, () => ({ instance: `gw-${i}`, route_meta: [{ name: 'products', cluster: 'api', priority: 'normal' }] }), quiet, 60_000));
    try {
      assert.doesNotMatch(link.target, /brownout-test-pw/);
      for (let i = 0; i < 50; i++) {
        try {
          await link.read();
          break;
        } catch {
          await new Promise(r => setTimeout(r, 100)); // the link connects in the background
        }
      }
      await Promise.all(reporters.map(r => r.publish()));
      const doc = parseSwitchDocument({ version: 1, routes: { products: { mode: 'default', reason: 'cluster test', actor: 'ana' } } });
      const w = await link.write(doc, 'ana@example.com', ['products']);
      assert.ok(w.ok, JSON.stringify(w));
      assert.equal(w.replicated, 1, 'the switch slot\'s replica acknowledged');
      const read = await link.read();
      assert.equal(read.document?.routes.products?.reason, 'cluster test');
      assert.deepEqual(read.instances.map(i => i.instance).sort(), reporters.map(r => r.instanceId).sort());
      const changes = await link.changes(0);
      assert.ok(changes.some(e => e.type === 'switch' && e.version === w.version), 'the write is in the change log');
    } finally {
      await Promise.all(reporters.map(r => r.stop()));
      redis.disconnect();
      await link.close();
    }
  });
});
