import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gateway, hostsOf, upstreams } from './harness.ts';

describe('gateway smoke', () => {
  it('proxies a GET to the upstream and says how many attempts it took', async () => {
    const ups = await upstreams(2);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }] });
    const r = await g.get('/hello?x=1');
    assert.equal(r.status, 200);
    assert.equal(r.json<{ path: string }>().path, '/hello?x=1');
    assert.equal(r.headers['x-brownout-attempt-count'], '1');
  });
});
