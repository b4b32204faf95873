import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, gateway, hostsOf, sleep, upstreams } from './harness.ts';

interface RouteView { routes: { breaker: { type: string; state: string; decayed_error_rate: number } | null }[] }

describe('RED breaker on a route', () => {
  it("opens on a burst of 5xx at the seed's high mark and recovers once the decayed rate falls to the low mark", async () => {
    const ups = await upstreams(1);
    await ups[0]!.setMode('503');
    const g = await gateway({
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [
        {
          name: 'red',
          match: { prefix: '/' },
          cluster: 'api',
          // The seed's thresholds; a short reset interval and half-life so the test runs in a second.
          circuit_breaker: { spec: { type: 'RED', rr_high_threshold: 0.5, rr_low_threshold: 0.1, rr_reset_interval: '300ms', rr_half_life: '100ms', minimum_requests: 4 } },
        },
      ],
    });
    const view = async () => (await g.adminGet('/routes')).json<RouteView>().routes[0]!.breaker!;
    assert.equal((await g.get('/x')).status, 503);
    assert.equal((await view()).state, 'closed', 'one failure is 1/4 of the floored volume: below the high mark');
    // The second failure brings the rate to (just under, once decayed) 0.5, the third past it.
    let failures = 1;
    while ((await view()).state === 'closed' && failures < 10) {
      assert.equal((await g.get('/x')).status, 503);
      failures++;
    }
    assert.ok(failures >= 2 && failures <= 3, `opened after ${failures} failures`);
    const open = await view();
    assert.equal(open.type, 'RED');
    assert.equal(open.state, 'open');
    assert.ok(open.decayed_error_rate >= 0.5, `rate ${open.decayed_error_rate}`);
    const rejected = await g.get('/x');
    assert.deepEqual([rejected.status, rejected.text], [503, 'circuit breaker open']);
    assert.equal(ups[0]!.hits, failures, 'the open breaker keeps requests off the upstream');
    assert.match((await g.adminGet('/stats/prometheus')).text, /brownout_breaker_decayed_error_rate\{route="red"\} 0\.\d+/);

    await ups[0]!.setMode('healthy');
    await sleep(320);
    // Half-open: successful probes trickle through; it closes only once the rate has decayed to 0.1.
    await eventually(async () => (await g.get('/y')).status === 200 && (await view()).state === 'closed', 3_000, 'the breaker to close');
    const closed = await view();
    assert.ok(closed.decayed_error_rate <= 0.1, `closed at rate ${closed.decayed_error_rate}`);
  });
});
