import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectRedis, readFleet } from '@brownout/control-plane';
import { useSentinel } from '@brownout/control-plane/testing';
import { eventually, gateway, hostsOf, upstreams, type RunningGateway } from './harness.ts';
import { pacedTraffic } from './fleet-traffic.ts';

// Three gateways on Redis Sentinel (issue 25): switches written through an admin API wait for a
// replica; the primary is SIGKILLed under 200 requests a second; every gateway keeps serving on its
// last switches and enforces a flip made after the failover without a restart; the fleet view
// comes back on the promoted primary.

describe('a fleet of three gateways on Redis Sentinel', { timeout: 120_000 }, () => {
  const s = useSentinel();

  it('rides out a SIGKILLed primary at 200 req/s: no failed request, switches in force, the next flip enforced on all three', async () => {
    const ups = await upstreams(1);
    const fleet: RunningGateway[] = [];
    for (let i = 0; i < 3; i++) {
      fleet.push(
        await gateway(
          {
            clusters: [{ name: 'api', hosts: hostsOf(ups) }],
            routes: [
              { name: 'items', match: { prefix: '/items' }, cluster: 'api', degradation: { mode: 'reject' } },
              { name: 'rest', match: { prefix: '/' }, cluster: 'api' },
            ],
          },
          { redisUrl: s.url, heartbeatMs: 500 },
        ),
      );
    }
    const [a, b] = fleet as [RunningGateway, RunningGateway, RunningGateway];
    const observer = connectRedis(s.url, { maxRetriesPerRequest: 1 });
    observer.on('error', () => undefined);
    try {
      const put = await a.adminPut('/switches', { routes: { items: { mode: 'reject', reason: 'incident', actor: 'ana' } } });
      assert.equal(put.status, 200, put.text);
      const body = put.json<{ applied: boolean; replicated?: number; version: number }>();
      assert.equal(body.applied, true);
      assert.equal(body.replicated, 1, 'a replica acknowledged the write before it was confirmed');
      for (const g of fleet) await eventually(async () => (await g.get('/items/1')).status === 503, 2_000, 'enforced on every gateway');

      // 200 requests a second over the three throughout the failover: every answer is the one the switches say.
      const traffic = pacedTraffic(fleet, 200, { '/other': 200, '/items/2': 503 });
      const killedAt = Date.now();
      await s.killPrimary();
      await new Promise(r => setTimeout(r, 500));
      const report = await traffic.stop();
      assert.deepEqual(report.wrong, [], `${report.wrong.length} of ${report.served} answers not what the switches said`);
      assert.ok(report.served > 200 * ((Date.now() - killedAt) / 1_000) * 0.8, `traffic ran at pace through the failover (${report.served} requests in ${Date.now() - killedAt} ms)`);

      // A flip on another gateway after the failover: refused while no primary answers, then confirmed and enforced on all three.
      let after = await b.adminPut('/switches', { routes: {} });
      for (let i = 0; i < 50 && after.status !== 200; i++) {
        await new Promise(r => setTimeout(r, 200));
        after = await b.adminPut('/switches', { routes: {} });
      }
      assert.equal(after.status, 200, after.text);
      const flip = after.json<{ applied: boolean; version: number; replicated?: number }>();
      assert.equal(flip.applied, true);
      assert.equal(flip.version, body.version + 1, 'numbered after the write the failover kept');
      const confirmedAt = Date.now();
      for (const g of fleet) await eventually(async () => (await g.get('/items/3')).status === 200, 1_000, 'the flip enforced on every gateway within a second');
      console.log(`primary killed → flip confirmed ${confirmedAt - killedAt} ms; enforced on all three ${Date.now() - confirmedAt} ms after its confirmation`);

      // The fleet view on the promoted primary: three instances, each on the flip's version.
      await eventually(
        async () => {
          const seen = await readFleet(observer);
          return seen.length === 3 && seen.every(i => i.switches_version === flip.version);
        },
        5_000,
        'the fleet view recovered',
      );
    } finally {
      observer.disconnect();
      for (const g of fleet) await g.close();
    }
  });
});
