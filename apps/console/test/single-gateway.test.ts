import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { open, type Db } from '@/server/db/client.ts';
import { AdminApiLink } from '@/features/fleet/admin-api-link.ts';
import { FleetMonitor } from '@/features/fleet/fleet-monitor.ts';
import { applySwitchChange } from '@/features/switches/apply-switch.ts';
import { queryAudit } from '@/features/audit/audit-log.ts';
import { ADMIN_TOKEN, Upstream, startGateway, stopStack } from './stack.ts';
import { sqliteUrl } from './databases.ts';

// Single-gateway mode: no Redis, the console talks to one gateway's admin API — same interface, same rules.
describe('single-gateway mode (admin API link) against a real gateway without Redis', () => {
  let gw: { gatewayUrl: string; adminUrl: string };
  let db: Db;
  let link: AdminApiLink;
  before(async () => {
    const [a, b] = await Promise.all([new Upstream('a').start(), new Upstream('b').start()]);
    gw = await startGateway(a, b, undefined);
    db = await open(sqliteUrl());
    link = new AdminApiLink(gw.adminUrl, ADMIN_TOKEN);
  });
  after(async () => {
    await db.$disconnect();
    await stopStack();
  });

  it('reads the gateway as one instance with its routes, hosts and switch version', async () => {
    const view = await new FleetMonitor(link, () => Promise.resolve(db)).view();
    assert.equal(view.mode, 'single');
    assert.equal(view.reachable, true);
    assert.equal(view.instances.length, 1);
    assert.equal(view.instances[0]!.state, 'alive');
    assert.deepEqual(view.routes.map(r => [r.name, r.priority]), [['products', 'high'], ['reports', 'low']]);
    assert.equal(view.hosts.length, 2);
  });

  it('flips a route through PUT /switches, reports it applied, and a real client gets the degraded answer', async () => {
    const r = await applySwitchChange({ db, link, waitMs: 3_000 }, { kind: 'route', flip: { route: 'reports', mode: 'reject', reason: 'single mode test', ticket: undefined, expiresAt: undefined, shadow: false } }, 'op@example.com', '127.0.0.1');
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.match((r as { message: string }).message, /applied on 1 of 1 gateway/);
    const res = await fetch(`${gw.gatewayUrl}/api/reports/x`);
    assert.match(res.headers.get('x-brownout-degraded') ?? '', /^reject\b/);
    const audit = await queryAudit(db, { route: 'reports' });
    assert.equal(audit[0]?.action, 'switch_changed');
  });

  it('refuses an unknown route before writing anything', async () => {
    const before = (await link.read()).document?.version;
    const r = await applySwitchChange({ db, link, waitMs: 1_000 }, { kind: 'route', flip: { route: 'nope', mode: 'reject', reason: 'typo', ticket: undefined, expiresAt: undefined, shadow: false } }, 'op@example.com', '127.0.0.1');
    assert.deepEqual([r.ok, (r as { status: number }).status], [false, 400]);
    assert.equal((await link.read()).document?.version, before);
  });

  it('says plainly when the token is wrong, and the monitor keeps the last good data, marked unreachable', async () => {
    await assert.rejects(new AdminApiLink(gw.adminUrl, 'wrong').read(), /answered 401 \(check BROWNOUT_GATEWAY_TOKEN\)/);
    const monitor = new FleetMonitor(new AdminApiLink(gw.adminUrl, 'wrong'), () => Promise.resolve(db));
    const v = await monitor.view();
    assert.equal(v.reachable, false);
    assert.match(v.error ?? '', /401/);
  });
});
