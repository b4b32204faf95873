import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SWITCH_LOG, connectRedis } from '@brownout/control-plane';
import { TestSentinel } from '@brownout/control-plane/testing';
import { ADMIN_TOKEN, startStackOn, stopStack } from './stack.ts';
import { callAction } from './actions.ts';

// The console in fleet mode on Redis Sentinel (issue 25): operators flip a route while the
// primary is SIGKILLed. Every answer is either "applied" — and then the flip survived the failover
// and a gateway enforces it or a later flip — or plainly not (refused, or saved with a warning).
// Never "applied" and lost.

describe('console in fleet mode on Redis Sentinel', { timeout: 180_000 }, () => {
  const s = new TestSentinel();
  let consoleUrl = '';
  let adminUrl = '';
  let cookie = '';

  before(async () => {
    await s.start();
    const stack = await startStackOn(s.url);
    consoleUrl = stack.consoleUrl;
    adminUrl = stack.adminUrl;
    const signIn = await callAction(consoleUrl, '/login', 'signInAction', { email: stack.adminEmail, password: stack.adminPassword }, { origin: consoleUrl });
    const session = /brownout_session=([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '');
    assert.ok(session, `signed in: ${signIn.status}`);
    cookie = `brownout_session=${session[1]!}`;
  });
  after(async () => {
    await stopStack();
    s.stop();
  });

  const flip = (reason: string, mode: string) => callAction(consoleUrl, '/switches', 'flipRouteAction', { route: 'products', mode, reason }, { origin: consoleUrl, cookie });
  const enforced = async (): Promise<{ version: number; reason: string | undefined }> => {
    const sw = (await (await fetch(`${adminUrl}/switches`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { version: number; document: { routes: Partial<Record<string, { reason: string }>> } | null };
    return { version: sw.version, reason: sw.document?.routes.products?.reason };
  };

  it('a flip during a failover is applied (and kept) or clearly not — never "applied" and lost', async () => {
    // The gateway reports its routes to the console before the first flip can name one.
    let first = await flip('before the failover', 'default');
    for (let i = 0; i < 50 && !/applied on 1 of 1 gateway/.test(first.text); i++) {
      await new Promise(r => setTimeout(r, 200));
      first = await flip('before the failover', 'default');
    }
    assert.match(first.text, /version \d+ applied on 1 of 1 gateway/);
    assert.doesNotMatch(first.text, /no Redis replica acknowledged/);

    // Failover 1, flipping throughout: with the only replica promoted, flips are saved with a
    // warning until the killed node is back as a replica; then they are confirmed again. Failover 2,
    // which only what a replica acknowledged is sure to survive; the node back; confirmed again.
    const isApplied = (text: string): boolean => /applied on 1 of 1 gateway/.test(text) && !/no Redis replica acknowledged/.test(text);
    const outcomes: { reason: string; text: string }[] = [];
    const flipping = (until: () => boolean) => async () => {
      const end = Date.now() + 40_000;
      while (Date.now() < end && !until()) {
        const reason = `flip ${outcomes.length}`;
        const r = await flip(reason, outcomes.length % 2 ? 'reject' : 'default');
        assert.equal(r.status, 200, r.text.slice(0, 300));
        outcomes.push({ reason, text: r.text });
        await new Promise(r2 => setTimeout(r2, 250));
      }
    };
    const killed = await s.primaryPort();
    let failedOver = false;
    await Promise.all([s.killPrimary().then(() => (failedOver = true)), flipping(() => failedOver)()]);
    await Promise.all([s.restart(killed), flipping(() => outcomes.length > 3 && isApplied(outcomes.at(-1)!.text))()]);
    const killedAgain = await s.primaryPort();
    let again = false;
    await Promise.all([s.killPrimary().then(() => (again = true)), flipping(() => again)()]);
    await Promise.all([s.restart(killedAgain), flipping(() => isApplied(outcomes.at(-1)?.text ?? ''))()]);

    const applied = outcomes.filter(o => isApplied(o.text));
    const notApplied = outcomes.filter(o => !applied.includes(o));
    const PLAINLY_NOT = /nothing was written|failed during the write|no Redis replica acknowledged|not yet on/;
    for (const o of notApplied) assert.match(o.text, PLAINLY_NOT, `an answer that is neither applied nor plainly not: ${o.text.slice(0, 400)}`);
    assert.ok(applied.length >= 2, 'flips are applied between and after the failovers');
    console.log(`${outcomes.length} flips through two failovers: ${applied.length} applied, ${notApplied.length} refused or warned (${[...new Set(notApplied.map(o => PLAINLY_NOT.exec(o.text)?.[0]))].join(', ')})`);

    // Every flip said "applied" is in the change log after both failovers, and the gateway enforces the last one.
    const redis = connectRedis(s.url, { maxRetriesPerRequest: 2 });
    try {
      const log = (await redis.xrange(SWITCH_LOG, '-', '+')).map(([, f]) => f.join(' '));
      for (const o of applied) assert.ok(log.some(l => l.includes(`"${o.reason}"`)), `"${o.reason}" was said applied and is in the log after the failovers`);
    } finally {
      redis.disconnect();
    }
    const last = outcomes.at(-1)!;
    const lastVersion = Number(/version (\d+) applied/.exec(last.text)?.[1]);
    const now = await enforced();
    assert.equal(now.version, lastVersion, 'the gateway enforces the last flip');
    assert.equal(now.reason, last.reason);
  });
});
