import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { open } from '@/server/db/client.ts';
import { migrate } from '@/server/db/migrate.ts';
import { appendAudit, queryAudit } from '@/features/audit/audit-log.ts';
import { createFirstAdmin } from '@/features/auth/bootstrap-admin.ts';
import { signIn } from '@/features/auth/sign-in.ts';
import { revokeUserSessions, sessionUser } from '@/features/auth/session.ts';
import { THROTTLE } from '@/features/auth/login-throttle.ts';
import { recordSample } from '@/features/history/history.ts';
import type { FleetView } from '@/features/fleet/fleet-view.ts';
import { postgresUrl, sqliteUrl } from './databases.ts';

// The same migrations and the same data-layer rules on both providers.
for (const provider of ['sqlite', 'postgresql'] as const) {
  describe(`console data layer on ${provider}`, async () => {
    const url = provider === 'sqlite' ? sqliteUrl() : await postgresUrl();
    const db = await open(url);
    after(() => db.$disconnect());

    it('applies the migrations from scratch once; a second run applies nothing', async () => {
      assert.deepEqual(await migrate(url), []);
      assert.equal(await db.user.count(), 0);
    });

    it('keeps the audit log append-only in the database itself: UPDATE, DELETE (and TRUNCATE) are refused', async () => {
      await appendAudit(db, { actor: 'a@example.com', action: 'switch_changed', route: 'products', reason: 'test', before: { mode: 'normal' }, after: { mode: 'default' } });
      await assert.rejects(db.$executeRawUnsafe(`UPDATE audit_event SET actor = 'mallory'`), /append-only/);
      await assert.rejects(db.$executeRawUnsafe('DELETE FROM audit_event'), /append-only/);
      if (provider === 'postgresql') await assert.rejects(db.$executeRawUnsafe('TRUNCATE audit_event'), /append-only/);
      const rows = await queryAudit(db, { route: 'products' });
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.actor, 'a@example.com');
      assert.equal(rows[0]!.after, '{"mode":"default"}');
    });

    it('keeps fallback versions immutable in the database: a change is a new version', async () => {
      const v = await db.fallbackVersion.create({ data: { route: 'products', version: 1, status: 200, contentType: 'application/json', headers: '{}', body: '[]', message: 'first', author: 'e@example.com' } });
      await assert.rejects(db.fallbackVersion.update({ where: { id: v.id }, data: { body: '{"rewritten":true}' } }), /immutable/);
      await assert.rejects(db.$executeRawUnsafe('DELETE FROM fallback_version'), /immutable/);
      await assert.rejects(db.fallbackVersion.create({ data: { route: 'products', version: 1, status: 200, contentType: 'text/plain', headers: '{}', body: '', message: 'dup', author: 'x' } }));
      assert.equal((await db.fallbackVersion.findFirst())!.body, '[]');
    });

    it('writes one history sample per time slot, however many consoles share the database', async () => {
      const view = { reachable: true, readAt: 1_000_000, routes: [{ name: 'r', rps: 5, errorRatio: 0, degradedRate: 0, p99Ms: 3 }], hosts: [{ cluster: 'c', ejectedOn: [] }] } as unknown as FleetView;
      const at = new Date(1_000_000);
      assert.equal(await recordSample(db, view, at), 1);
      assert.equal(await recordSample(db, view, at), 0, 'a second console finds the slot taken');
      assert.equal(await db.routeSample.count(), 1);
      assert.equal(await db.clusterSample.count(), 1);
      assert.equal(await recordSample(db, { ...view, reachable: false }, new Date(2_000_000)), 0, 'an unreachable fleet is a gap, not a repeat');
    });

    it('creates the first admin once; a second attempt (setup page replayed) creates nothing', async () => {
      assert.equal(await createFirstAdmin(db, 'Admin@Example.com', 'correct-horse-battery', 'environment'), true);
      assert.equal(await createFirstAdmin(db, 'evil@example.com', 'correct-horse-battery', 'setup page'), false);
      assert.deepEqual((await db.user.findMany()).map(u => [u.email, u.role]), [['admin@example.com', 'admin']]);
    });

    it('signs in with the right password, stores only a hash of the session token, and a revoked session stops working', async () => {
      const r = await signIn(db, 'admin@example.com', 'correct-horse-battery', { ip: '192.0.2.1', userAgent: 'test' });
      assert.ok(r.ok);
      const user = await sessionUser(db, r.token);
      assert.equal(user?.email, 'admin@example.com');
      assert.equal(await db.session.count({ where: { id: r.token } }), 0, 'the raw token is not stored');
      await revokeUserSessions(db, user.id);
      assert.equal(await sessionUser(db, r.token), undefined);
    });

    it(`locks an account after ${THROTTLE.perAccount} failures, even for the right password, from any address`, async () => {
      for (let i = 0; i < THROTTLE.perAccount; i++) {
        const r = await signIn(db, 'admin@example.com', `wrong-${i}`, { ip: `198.51.100.${i}`, userAgent: null });
        assert.equal(r.ok, false);
      }
      const r = await signIn(db, 'admin@example.com', 'correct-horse-battery', { ip: '203.0.113.9', userAgent: null });
      assert.equal(r.ok, false);
      assert.match((r as { message: string }).message, /Too many failed sign-ins/);
      const failed = await queryAudit(db, { action: 'signin_failed' });
      assert.equal(failed.length, THROTTLE.perAccount + 1);
    });

    it(`locks an address after ${THROTTLE.perAddress} failures across accounts (password spraying)`, async () => {
      for (let i = 0; i < THROTTLE.perAddress; i++) await signIn(db, `user${i}@example.com`, 'guess', { ip: '192.0.2.66', userAgent: null });
      const r = await signIn(db, 'someone@example.com', 'guess', { ip: '192.0.2.66', userAgent: null });
      assert.match((r as { message: string }).message, /Too many failed sign-ins/);
    });
  });
}
