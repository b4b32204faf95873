import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redisServer } from '../src/testing/index.ts';
import { RedisSwitchSync, SwitchStore, writeSwitchDocument } from '../src/index.ts';
import { appendAutoEvent,
  appendHostEvent,
  appendInstanceEvent, readChangeLog } from '../src/change-log.ts';
import { FleetReporter, mergeHostHealth, readFleet } from '../src/fleet-status.ts';
import type { ControlPlaneLog } from '../src/log.ts';

const quiet: ControlPlaneLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const sw = (mode: string) => ({ mode, reason: 'incident', actor: 'ana' });
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function until(fn: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

describe('control plane on a real Redis', () => {
  it('a written document reaches a subscribed store, and a stale write is refused', async () => {
    const redis = await redisServer();
    const store = new SwitchStore();
    const sync = new RedisSwitchSync(store, { url: redis.url, log: quiet, onInvalid: () => undefined, reconcileMs: 60_000 });
    await sync.start();
    try {
      const w = await writeSwitchDocument(redis.client(), { routes: { items: sw('reject') } }, 'test');
      assert.deepEqual(w, { ok: true, version: 1 });
      await until(() => store.version === 1);
      assert.equal(store.state.routes.get('items')?.mode, 'reject');
      assert.deepEqual(await writeSwitchDocument(redis.client(), { version: 1, global_level: 2 }), { ok: false, reason: 'stale', current: 1 });
    } finally {
      await sync.stop();
    }
  });

  it('reads the change log newest first, by route and by time range', async () => {
    const redis = await redisServer();
    const c = redis.client();
    await writeSwitchDocument(c, { routes: { a: sw('reject') } }, 'ana');
    await sleep(5);
    const mid = Date.now();
    await sleep(5);
    await appendAutoEvent(c, 'gw-1', { route: 'b', reason: 'breaker', active: true });
    await writeSwitchDocument(c, { routes: { b: sw('default') }, fallbacks: { a: { body: 'x' } } }, 'bo');
    await appendAutoEvent(c, 'gw-2', { route: 'a', reason: 'rule', active: false });

    const all = await readChangeLog(c);
    const label = (e: (typeof all)[number]): string => (e.type === 'auto' ? `auto:${e.route}` : e.type === 'switch' ? `switch:v${e.version}:${e.actor}` : e.type);
    assert.deepEqual(all.map(label), ['auto:a', 'switch:v2:bo', 'auto:b', 'switch:v1:ana']);
    assert.ok(all.every((e, i) => i === 0 || all[i - 1]!.at >= e.at), 'newest first');
    const aOnly = await readChangeLog(c, { route: 'a' });
    assert.deepEqual(aOnly.map(e => e.type), ['auto', 'switch', 'switch'], 'switch writes that name the route (in routes or fallbacks) and its automatic events');
    const since = await readChangeLog(c, { from: mid });
    assert.equal(since.length, 3);
    const before = await readChangeLog(c, { to: mid });
    assert.equal(before.length, 1);
    assert.equal((await readChangeLog(c, { limit: 2 })).length, 2);
  });

  it('reads host ejections and instance start/stop entries back as typed entries, and a route filter leaves them out', async () => {
    const r = await redisServer();
    const c = r.client();
    await appendInstanceEvent(c, 'gw-1', true);
    await appendHostEvent(c, 'gw-1', { cluster: 'api', host: '10.0.0.1:80', ejected: true, reason: 'consecutive_5xx' });
    await appendHostEvent(c, 'gw-1', { cluster: 'api', host: '10.0.0.1:80', ejected: false, reason: '' });
    await appendInstanceEvent(c, 'gw-1', false);
    const all = (await readChangeLog(c)).reverse();
    assert.deepEqual(
      all.map(e => (e.type === 'host' ? [e.type, e.instance, e.cluster, e.host, e.ejected, e.reason] : e.type === 'instance' ? [e.type, e.instance, e.up] : [e.type])),
      [
        ['instance', 'gw-1', true],
        ['host', 'gw-1', 'api', '10.0.0.1:80', true, 'consecutive_5xx'],
        ['host', 'gw-1', 'api', '10.0.0.1:80', false, ''],
        ['instance', 'gw-1', false],
      ],
    );
    assert.deepEqual(await readChangeLog(c, { route: 'api' }), []);
  });

  it('publishes instance status under a heartbeat TTL, reads the live fleet and merges host health', async () => {
    const redis = await redisServer();
    const status = (id: string, ejected: boolean) => () => ({
      instance: id,
      switches_version: 3,
      clusters: [{ name: 'api', hosts: [{ address: '10.0.0.1', port: 80, ejected, ejected_for: ejected ? 'consecutive_5xx' : null }, { address: '10.0.0.2', port: 80, ejected: false, ejected_for: null }] }],
    });
    const a = new FleetReporter('gw-a', redis.client(), status('gw-a', true), quiet, 50);
    const b = new FleetReporter('gw-b', redis.client(), status('gw-b', false), quiet, 50);
    a.start();
    b.start();
    await sleep(100);
    const fleet = await readFleet(redis.client());
    assert.deepEqual(fleet.map(s => s.instance), ['gw-a', 'gw-b']);
    const hosts = mergeHostHealth(fleet);
    assert.deepEqual(
      hosts.map(h => [h.address, h.ejected_on.length, h.reported_by]),
      [
        ['10.0.0.1', 1, 2],
        ['10.0.0.2', 0, 2],
      ],
    );
    assert.deepEqual(hosts[0]!.ejected_on, [{ instance: 'gw-a', reason: 'consecutive_5xx' }]);
    await a.stop();
    assert.deepEqual((await readFleet(redis.client())).map(s => s.instance), ['gw-b'], 'a stopped instance is gone at once');
    await b.stop();
    // An entry whose instance died without stopping expires after three heartbeats.
    const c = new FleetReporter('gw-c', redis.client(), status('gw-c', false), quiet, 50);
    await c.publish();
    assert.equal((await readFleet(redis.client())).length, 1);
    await sleep(200);
    assert.equal((await readFleet(redis.client())).length, 0);
  });
});
