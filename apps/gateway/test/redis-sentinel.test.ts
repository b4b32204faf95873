import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useSentinel } from '@brownout/control-plane/testing';
import { eventually, gateway, hostsOf, upstreams, type RunningGateway } from './harness.ts';

// A gateway on Redis Sentinel (issue 25): switches written through its admin API wait for a
// replica; the primary is SIGKILLed under traffic; the gateway keeps serving on its last switches
// and enforces a write made after the failover without a restart.

describe('gateway on Redis Sentinel', { timeout: 120_000 }, () => {
  const s = useSentinel();

  it('rides out a SIGKILLed primary under traffic: no failed request, switches in force, the next write enforced', async () => {
    const ups = await upstreams(1);
    const g: RunningGateway = await gateway(
      {
        clusters: [{ name: 'api', hosts: hostsOf(ups) }],
        routes: [
          { name: 'items', match: { prefix: '/items' }, cluster: 'api', degradation: { mode: 'reject' } },
          { name: 'rest', match: { prefix: '/' }, cluster: 'api' },
        ],
      },
      { redisUrl: s.url },
    );
    try {
      const put = await g.adminPut('/switches', { routes: { items: { mode: 'reject', reason: 'incident', actor: 'ana' } } });
      assert.equal(put.status, 200, put.text);
      const body = put.json<{ applied: boolean; replicated?: number; version: number }>();
      assert.equal(body.applied, true);
      assert.equal(body.replicated, 1, 'a replica acknowledged the write before it was confirmed');
      assert.equal((await g.get('/items/1')).status, 503);

      // Traffic throughout the failover: every answer is the one the switches say.
      const running = { stop: false };
      const wrong: string[] = [];
      let served = 0;
      const traffic = (async () => {
        while (!running.stop) {
          const [a, b] = await Promise.all([g.get('/other'), g.get('/items/2')]);
          served += 2;
          if (a.status !== 200) wrong.push(`/other ${a.status}`);
          if (b.status !== 503) wrong.push(`/items ${b.status}`);
          await new Promise(r => setTimeout(r, 5));
        }
      })();
      await s.killPrimary();
      await new Promise(r => setTimeout(r, 500));
      running.stop = true;
      await traffic;
      assert.deepEqual(wrong, [], `${wrong.length} of ${served} answers not what the switches said`);
      assert.ok(served > 100, `traffic ran through the failover (${served} requests)`);
      // A write after the failover: refused while no primary answers, then applied and enforced.
      let after = await g.adminPut('/switches', { routes: {} });
      for (let i = 0; i < 50 && after.status !== 200; i++) {
        await new Promise(r => setTimeout(r, 200));
        after = await g.adminPut('/switches', { routes: {} });
      }
      assert.equal(after.status, 200, after.text);
      const a = after.json<{ applied: boolean; version: number; replicated?: number }>();
      assert.equal(a.applied, true);
      assert.equal(a.version, body.version + 1, 'numbered after the write the failover kept');
      await eventually(async () => (await g.get('/items/3')).status === 200, 5_000, 'the write after the failover enforced');
    } finally {
      await g.close();
    }
  });
});
