import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CACHE_PREFIX, RATE_LIMIT_PREFIX } from '@brownout/control-plane';
import { useCluster } from '@brownout/control-plane/testing';
import type { GatewayConfigInput } from '@brownout/core/config';
import { eventually, gateway, hostsOf, upstreams, type RunningGateway } from './harness.ts';

// Two gateways on a Redis Cluster (issue 25): three primaries with a replica each. A flip through
// one admin API is confirmed by the switch slot's replica and enforced by both; the distributed
// rate limiter shares one bucket per client key across them; the primary serving a bucket is
// SIGKILLed and restarted: requests never fail, the limit comes back on the promoted replica; the
// shared response cache serves one gateway's answers from the other.

describe('gateways on Redis Cluster', { timeout: 120_000 }, () => {
  const c = useCluster();

  it('flip → enforce → confirm, and one rate limit across two gateways, through a node kill and restart', async () => {
    const ups = await upstreams(1);
    const cfg: GatewayConfigInput = {
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [
        { name: 'items', match: { prefix: '/items' }, cluster: 'api', degradation: { mode: 'reject' } },
        {
          name: 'catalog',
          match: { prefix: '/catalog' },
          cluster: 'api',
          retry_policy: { retry_on: 'connect-failure', num_retries: 0 },
          degradation: { mode: 'cache', fallback_chain: ['default'], default_response: { body: 'default catalog' }, cache: { max_staleness: '5m' } },
        },
        {
          name: 'api',
          match: { prefix: '/' },
          cluster: 'api',
          rate_limit: { token_bucket: { max_tokens: 4, tokens_per_fill: 1, fill_interval: '1m' }, key: { type: 'header', name: 'x-api-key' }, scope: 'distributed' },
        },
      ],
    };
    const a: RunningGateway = await gateway(cfg, { redisUrl: c.url, reconcileMs: 1_000 });
    const b: RunningGateway = await gateway(cfg, { redisUrl: c.url, reconcileMs: 1_000 });
    try {
      const put = await a.adminPut('/switches', { routes: { items: { mode: 'reject', reason: 'incident', actor: 'ana' } } });
      assert.equal(put.status, 200, put.text);
      const flip = put.json<{ applied: boolean; replicated?: number; version: number }>();
      assert.equal(flip.applied, true);
      assert.equal(flip.replicated, 1, 'the switch slot\'s replica acknowledged');
      for (const g of [a, b]) await eventually(async () => (await g.get('/items/1')).status === 503, 1_000, 'enforced on both within a second');

      const limited = async (key: string): Promise<number[]> => {
        const out: number[] = [];
        for (let i = 0; i < 6; i++) out.push((await (i % 2 ? b : a).get('/x', { 'x-api-key': key })).status);
        return out;
      };
      assert.deepEqual(await limited('k1'), [200, 200, 200, 200, 429, 429], 'four tokens shared by both gateways');

      // Kill the primary serving k1's bucket: the limiter fails open (never an error, never slow) until the replica is promoted.
      const victim = await c.primaryFor(`${RATE_LIMIT_PREFIX}api:k1`);
      c.kill(victim);
      const killedAt = Date.now();
      const during: number[] = [];
      while (Date.now() - killedAt < 4_000) {
        const t0 = performance.now();
        const r = await a.get('/x', { 'x-api-key': `during-${during.length}` });
        during.push(r.status);
        assert.ok(performance.now() - t0 < 1_500, `answered in ${Math.round(performance.now() - t0)} ms during the failover`);
        await new Promise(r2 => setTimeout(r2, 20));
      }
      assert.ok(during.every(s => s === 200), `no request failed during the failover: ${[...new Set(during)].join(',')}`);
      await eventually(async () => (await limited(`after-${Date.now()}`)).join() === '200,200,200,200,429,429', 15_000, 'the shared limit back on the promoted replica');

      // The old primary restarts (empty, a replica now); a flip afterwards is confirmed and enforced.
      await c.restart(victim);
      await c.healthy();
      let again = await b.adminPut('/switches', { routes: {} });
      for (let i = 0; i < 50 && !(again.status === 200 && again.json<{ replicated?: number }>().replicated === 1); i++) {
        await new Promise(r => setTimeout(r, 200));
        again = await b.adminPut('/switches', { routes: {} });
      }
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json<{ replicated?: number }>().replicated, 1);
      for (const g of [a, b]) await eventually(async () => (await g.get('/items/2')).status === 200, 1_000, 'the flip after the restart enforced on both');
      // The shared response cache: answers kept through one gateway, on keys spread over the
      // primaries, served by the other (which never saw them) once the upstream is gone.
      const paths = Array.from({ length: 6 }, (_, i) => `/catalog/item-${i}`);
      const fresh = await Promise.all(paths.map(async p => (await a.get(p)).text));
      const owners = new Set(await Promise.all(paths.map(p => c.primaryFor(`${CACHE_PREFIX}catalog:GET:${p}`))));
      assert.ok(owners.size >= 2, `cache keys on ${owners.size} primaries`);
      await new Promise(r => setTimeout(r, 100)); // the Redis write is fire-and-forget
      await ups[0]!.setMode('refuse');
      for (const [i, p] of paths.entries()) {
        const r = await b.get(p);
        assert.equal(r.text, fresh[i], `${p} from the cluster-wide cache`);
        assert.match(String(r.headers['x-brownout-degraded']), /^cache/);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
