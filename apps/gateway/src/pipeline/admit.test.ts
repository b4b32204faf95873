import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Admission, Engine, emptyRateLimitResult } from '@brownout/core';
import { parseConfig, type GatewayConfigInput } from '@brownout/core/config';
import { ManualClock, SeededRandom } from '@brownout/core/testing';
import { TrustedProxies } from '../routing/trusted-proxies.ts';
import type { GatewayServices } from './gateway-services.ts';
import { LOCAL_REPLIES } from './local-reply.ts';
import { Acquired, acquireUpstream, admitRoute, emptyAdmitted, localRateLimit } from './admit.ts';

// The admit steps every way in shares, on a real engine built from a config, without a server.

function servicesFor(extra: Partial<GatewayConfigInput> = {}): { services: GatewayServices; engine: Engine; clock: ManualClock } {
  const config = parseConfig({
    listener: { trusted_proxies: ['10.0.0.1'] },
    clusters: [
      { name: 'api', hosts: ['127.0.0.1:9001'], circuit_breakers: { thresholds: [{ priority: 'default', max_requests: 1, max_connections: 1 }] } },
      { name: 'spare', hosts: ['127.0.0.1:9002'] },
    ],
    routes: [
      {
        name: 'limited',
        match: { prefix: '/limited' },
        cluster: 'api',
        rate_limit: { token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '1h' }, key: { type: 'header', name: 'x-client' } },
      },
      { name: 'guarded', match: { prefix: '/guarded' }, cluster: 'api', circuit_breaker: { consecutive_failures: 1, minimum_requests: 1, open_duration: '1s', half_open_max_calls: 1 } },
      { name: 'plain', match: { prefix: '/' }, cluster: 'api' },
    ],
    ...extra,
  });
  const clock = new ManualClock();
  const engine = new Engine(config, { clock, random: new SeededRandom(1) });
  const services = {
    engine,
    trusted: new TrustedProxies(config.listener.trusted_proxies),
    requestIds: { generate: true, preserveExternal: false },
  } as unknown as GatewayServices;
  return { services, engine, clock };
}

describe('pipeline admit steps', () => {
  it('admitRoute: no route → the noRoute reply, nothing else decided', () => {
    const { services } = servicesFor({ routes: [{ name: 'only', match: { prefix: '/only' }, cluster: 'api' }] });
    const out = emptyAdmitted();
    assert.equal(admitRoute(services, 'GET', '/elsewhere', {}, '192.0.2.1', out), LOCAL_REPLIES.noRoute);
    assert.equal(out.route, undefined);
    assert.equal(out.requestId, '');
  });

  it('admitRoute: the route, an untrusted peer and a new request id (the caller\'s is not believed)', () => {
    const { services } = servicesFor();
    const out = emptyAdmitted();
    assert.equal(admitRoute(services, 'GET', '/x', { 'x-request-id': 'mine' }, '192.0.2.1', out), undefined);
    assert.equal(out.route?.name, 'plain');
    assert.equal(out.trustedPeer, false);
    assert.match(out.requestId, /^[0-9a-f-]{36}$/);
  });

  it('admitRoute: a trusted proxy\'s request id is kept; the scratch object carries nothing over from the last request', () => {
    const { services } = servicesFor();
    const out = emptyAdmitted();
    admitRoute(services, 'GET', '/limited', { 'x-request-id': 'edge-123' }, '10.0.0.1', out);
    assert.deepEqual([out.route?.name, out.trustedPeer, out.requestId], ['limited', true, 'edge-123']);
    admitRoute(services, 'GET', '/x', {}, '192.0.2.1', out);
    assert.deepEqual([out.route?.name, out.trustedPeer], ['plain', false]);
    assert.notEqual(out.requestId, 'edge-123');
  });

  it('localRateLimit: undefined without a limit; the bucket per key, refusing once empty', () => {
    const { services, engine } = servicesFor();
    const scratch = emptyRateLimitResult();
    const plain = engine.routes.find(r => r.name === 'plain')!;
    assert.equal(localRateLimit(services, plain, {}, '192.0.2.1', scratch), undefined);
    const limited = engine.routes.find(r => r.name === 'limited')!;
    assert.equal(localRateLimit(services, limited, { 'x-client': 'a' }, '192.0.2.1', scratch)?.allowed, true);
    assert.equal(localRateLimit(services, limited, { 'x-client': 'a' }, '192.0.2.1', scratch)?.allowed, false);
    assert.equal(localRateLimit(services, limited, { 'x-client': 'b' }, '192.0.2.1', scratch)?.allowed, true, 'another key has its own bucket');
  });

  it('acquireUpstream: slot only without a breaker; the slot is the cluster\'s and runs out', () => {
    const { engine } = servicesFor();
    const plain = engine.routes.find(r => r.name === 'plain')!;
    const limits = plain.cluster.limits.forRoute(plain.config.priority);
    assert.equal(acquireUpstream(plain, plain.cluster, limits, 'request'), Acquired.Slot);
    assert.equal(acquireUpstream(plain, plain.cluster, limits, 'request'), LOCAL_REPLIES.overflow, 'max_requests 1');
    limits.releaseRequest();
    assert.equal(acquireUpstream(plain, plain.cluster, limits, 'connection'), Acquired.Slot);
    assert.equal(acquireUpstream(plain, plain.cluster, limits, 'connection'), LOCAL_REPLIES.overflow, 'max_connections 1');
  });

  it('acquireUpstream: the breaker first; an overflow after it gives the breaker\'s call back; a fallback cluster skips the breaker', () => {
    const { engine, clock } = servicesFor();
    const guarded = engine.routes.find(r => r.name === 'guarded')!;
    const limits = guarded.cluster.limits.forRoute(guarded.config.priority);
    assert.equal(acquireUpstream(guarded, guarded.cluster, limits, 'request'), Acquired.SlotAndBreaker);
    guarded.breaker!.onFailure(1);
    limits.releaseRequest();
    assert.equal(acquireUpstream(guarded, guarded.cluster, limits, 'request'), LOCAL_REPLIES.breakerOpen, 'one failure opens it');
    // Half-open after open_duration: one probe call. The cluster's slot is taken, so the request
    // overflows — and the probe it took must be given back, or the breaker would stay shut.
    clock.advance(1_000);
    assert.equal(limits.tryAcquireRequest(), Admission.Admitted);
    assert.equal(acquireUpstream(guarded, guarded.cluster, limits, 'request'), LOCAL_REPLIES.overflow);
    limits.releaseRequest();
    assert.equal(acquireUpstream(guarded, guarded.cluster, limits, 'request'), Acquired.SlotAndBreaker, 'the probe call is free again');
    const spare = engine.clusters.get('spare')!;
    assert.equal(acquireUpstream(guarded, spare, spare.limits.forRoute(guarded.config.priority), 'request'), Acquired.Slot, 'the fallback service is judged by its own health');
  });
});
