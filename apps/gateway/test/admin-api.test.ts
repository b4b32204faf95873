import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { ADMIN_ENDPOINTS } from '../src/admin/admin-endpoints.ts';
import { ADMIN_TOKEN, gateway, hostsOf, upstreams } from './harness.ts';

const READ_TOKEN = 'read-only-token';

async function call(admin: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; text: string; json: () => unknown }> {
  const r = await request(admin + path, {
    method: method as 'GET',
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await r.body.text();
  return { status: r.statusCode, text, json: () => JSON.parse(text) as unknown };
}

/** The one error shape: { error: { code, message, issues? } } (and, for a stale write, current_version). */
function assertErrorShape(body: unknown, code: string, what: string): void {
  const b = body as { error?: { code?: unknown; message?: unknown; issues?: unknown } } & Record<string, unknown>;
  assert.deepEqual(Object.keys(b).filter(k => k !== 'current_version'), ['error'], what);
  assert.equal(b.error!.code, code, what);
  assert.equal(typeof b.error!.message, 'string', what);
  assert.deepEqual(Object.keys(b.error!).filter(k => !['code', 'message', 'issues'].includes(k)), [], what);
}

/** Every key snake_case and every *_ms an integer, through the whole JSON. */
function assertConventions(v: unknown, where: string): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      assertConventions(x, `${where}[${i}]`);
    });
    return;
  }
  if (v === null || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) {
    assert.match(k, /^[a-z0-9_]+$|^\d[0-9a-z]*$/, `${where}.${k}: snake_case`);
    if (k.endsWith('_ms') && x !== null) assert.ok(Number.isInteger(x), `${where}.${k} = ${String(x)}: integer milliseconds`);
    assertConventions(x, `${where}.${k}`);
  }
}

describe('admin API: one shape, scopes, conventions', () => {
  const start = async () => {
    const ups = await upstreams(2);
    const g = await gateway(
      {
        clusters: [{ name: 'api', hosts: hostsOf(ups), outlier_detection: { consecutive_5xx: 2, interval: '100ms', base_ejection_time: '30s', max_ejection_percent: 50 } }],
        routes: [
          { name: 'items', match: { prefix: '/items' }, cluster: 'api', priority: 'critical', circuit_breaker: { consecutive_failures: 50 } },
          { name: 'other', match: { prefix: '/' }, cluster: 'api', degradation: { mode: 'reject' } },
        ],
      },
      { adminReadToken: READ_TOKEN },
    );
    await ups[0]!.setMode('503');
    for (let i = 0; i < 10; i++) await g.get(`/items/${i}`);
    return g;
  };

  it('serves every catalogued endpoint (GET / lists them), and the committed OpenAPI document is the one it serves', async () => {
    const g = await start();
    const index = (await call(g.admin, 'GET', '/', ADMIN_TOKEN)).json() as { endpoints: { method: string; path: string }[] };
    assert.deepEqual(index.endpoints.map(e => `${e.method} ${e.path}`), ADMIN_ENDPOINTS.map(e => `${e.method} ${e.path}`));
    for (const e of ADMIN_ENDPOINTS) {
      const path = e.path.replace('{route}', 'items');
      const body = e.body === 'SwitchDocument' ? { routes: {} } : e.body === 'SwitchPatch' ? { global_level: 0 } : undefined;
      const r = await call(g.admin, e.method, path, ADMIN_TOKEN, body);
      assert.notEqual(r.status, 404, `${e.method} ${path} is served`);
    }
    await call(g.admin, 'POST', '/healthcheck/ok', ADMIN_TOKEN);
    const served = (await call(g.admin, 'GET', '/openapi.json', ADMIN_TOKEN)).json();
    assert.deepEqual(served, JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')), 'apps/gateway/openapi.json is up to date (npm run openapi -w @brownout/gateway)');
  });

  it('the read-only token reads and scrapes but gets 403 on drain, reload and switch writes; no token gets 401; all in the one error shape', async () => {
    const g = await start();
    for (const e of ADMIN_ENDPOINTS) {
      const path = e.path.replace('{route}', 'items');
      const body = e.body ? { global_level: 1 } : undefined;
      const r = await call(g.admin, e.method, path, READ_TOKEN, body);
      if (e.scope === 'admin') {
        assert.equal(r.status, 403, `${e.method} ${path} with the read token`);
        assertErrorShape(r.json(), 'forbidden', `${e.method} ${path}`);
      } else {
        assert.equal(r.status, 200, `${e.method} ${path} with the read token`);
      }
      if (e.scope !== 'public') {
        const anon = await call(g.admin, e.method, path, undefined, body);
        assert.equal(anon.status, 401);
        assertErrorShape(anon.json(), 'unauthorized', `${e.method} ${path} without a token`);
      }
    }
    assert.equal((await call(g.admin, 'GET', '/ready', undefined)).status, 200);
    assert.equal(g.gw.draining, false, 'the read token drained nothing');
    const nf = await call(g.admin, 'GET', '/nope', ADMIN_TOKEN);
    assert.equal(nf.status, 404);
    assertErrorShape(nf.json(), 'not_found', 'unknown path');
  });

  it('errors of every kind share the shape: invalid document, invalid patch, stale version, invalid JSON, reload without a file', async () => {
    const g = await start();
    const bad = await call(g.admin, 'PUT', '/switches', ADMIN_TOKEN, { global_level: 9 });
    assert.equal(bad.status, 400);
    assertErrorShape(bad.json(), 'invalid_switch_document', 'invalid document');
    assert.ok(((bad.json() as { error: { issues: unknown[] } }).error.issues).length > 0);
    const badPatch = await call(g.admin, 'PATCH', '/switches', ADMIN_TOKEN, { routes: { items: { mode: 'teleport' } } });
    assert.equal(badPatch.status, 400);
    assertErrorShape(badPatch.json(), 'invalid_switch_document', 'invalid patch');
    await call(g.admin, 'PUT', '/switches', ADMIN_TOKEN, { version: 5 });
    const stale = await call(g.admin, 'PUT', '/switches', ADMIN_TOKEN, { version: 3 });
    assert.equal(stale.status, 409);
    assertErrorShape(stale.json(), 'stale_switch_document', 'stale');
    assert.equal((stale.json() as { current_version: number }).current_version, 5);
    const r = await request(`${g.admin}/switches`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{"routes":' });
    assert.equal(r.statusCode, 400);
    assertErrorShape(await r.body.json(), 'invalid_request', 'malformed JSON');
    const reload = await call(g.admin, 'POST', '/reload', ADMIN_TOKEN);
    assert.ok(reload.status >= 400);
    assertErrorShape(reload.json(), reload.status === 400 ? 'invalid_config' : 'internal', 'reload');
  });

  it('JSON is snake_case with integer milliseconds on every read endpoint (an ejected host has time left)', async () => {
    const g = await start();
    for (const path of ['/clusters', '/routes', '/switches', '/server_info', '/config_dump', '/']) {
      assertConventions((await call(g.admin, 'GET', path, ADMIN_TOKEN)).json(), path);
    }
    const hosts = ((await call(g.admin, 'GET', '/clusters', ADMIN_TOKEN)).json() as { clusters: { hosts: { ejected: boolean; ejection_time_left_ms: number; stats: Record<string, number> }[] }[] }).clusters[0]!.hosts;
    const ejected = hosts.find(h => h.ejected);
    assert.ok(ejected && ejected.ejection_time_left_ms > 0 && Number.isInteger(ejected.ejection_time_left_ms));
    assert.deepEqual(Object.keys(ejected.stats).sort(), ['cx_connect_fail', 'rq_error', 'rq_success', 'rq_timeout', 'rq_total']);
    const info = (await call(g.admin, 'GET', '/server_info', ADMIN_TOKEN)).json() as Record<string, unknown>;
    assert.equal(info.switch_mode, 'embedded');
    assert.equal(info.instance, g.gw.instanceId);
    assert.match(String(info.version), /^\d+\.\d+\.\d+$/);
  });

  it('PATCH changes what it names and keeps the rest; DELETE restores one route; POST /switches/restore restores everything', async () => {
    const g = await start();
    const sw = async () => ((await call(g.admin, 'GET', '/switches', ADMIN_TOKEN)).json() as { version: number; document: { global_level: number; routes: Record<string, { mode: string }> } }).document;
    const o = (mode: string) => ({ mode, reason: 'test', actor: 'ops' });
    assert.equal((await call(g.admin, 'PATCH', '/switches', ADMIN_TOKEN, { routes: { items: o('reject'), other: o('default') } })).status, 200);
    assert.equal((await call(g.admin, 'PATCH', '/switches', ADMIN_TOKEN, { global_level: 2 })).status, 200);
    let d = await sw();
    assert.equal(d.global_level, 2);
    assert.deepEqual(Object.keys(d.routes).sort(), ['items', 'other'], 'a level change keeps the route overrides');
    assert.equal((await call(g.admin, 'DELETE', '/switches/routes/items', ADMIN_TOKEN)).status, 200);
    d = await sw();
    assert.deepEqual(Object.keys(d.routes), ['other']);
    assert.equal(d.global_level, 2);
    assert.equal((await g.get('/items/1')).headers['x-brownout-degraded'], undefined, 'items (critical: never shed by a level) serves normally again');
    assert.equal((await call(g.admin, 'POST', '/switches/restore', ADMIN_TOKEN)).status, 200);
    d = await sw();
    assert.deepEqual([d.global_level, Object.keys(d.routes)], [0, []]);
  });
});
