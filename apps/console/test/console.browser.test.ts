import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { DOCS, launchChromium, step as runStep, submitSignIn } from './browser.ts';
import { SWITCH_KEY } from '@brownout/control-plane';
import { ADMIN_TOKEN, startStack, stopStack, type Stack } from './stack.ts';
import { callAction } from './actions.ts';

/**
 * The console end to end: a real Chromium (Debian's) driving the built console against a real
 * gateway process and a real Redis. Screenshots go to test-results/ (every failure, and one of
 * each main page, which the README shows from docs/screenshots/).
 */

describe('console in a browser', { timeout: 180_000 }, () => {
  let stack: Stack;
  let browser: Browser | undefined;
  let page: Page;
  let redis: Redis | undefined;

  before(async () => {
    stack = await startStack();
    redis = new Redis(stack.redis.url);
    redis.on('error', () => undefined); // Redis is stopped on purpose in one step
    const b = await launchChromium();
    browser = b;
    page = await b.newPage({ viewport: { width: 1280, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    redis?.disconnect();
    await stopStack();
  });

  const step = (name: string, f: () => Promise<void>): Promise<void> => runStep(page, name, f);

  /** Submits a form whose buttons the page disabled, as a forger would (the server action is still called). */
  async function forceSubmit(scope: ReturnType<Page['locator']>): Promise<void> {
    await scope.locator('form').evaluate(f => {
      (f as HTMLFormElement).requestSubmit();
    });
  }

  const signIn = (email: string, password: string): Promise<void> => submitSignIn(page, stack.consoleUrl, email, password);

  async function switchVersion(): Promise<number> {
    const raw = await redis!.get(SWITCH_KEY);
    return raw === null ? 0 : (JSON.parse(raw) as { version: number }).version;
  }

  it('refuses a wrong password, then signs the admin in and shows the fleet in fleet mode', () =>
    step('sign-in', async () => {
      await signIn(stack.adminEmail, 'not-the-password');
      await page.getByText('Wrong email or password.').waitFor();
      await signIn(stack.adminEmail, stack.adminPassword);
      await page.waitForURL(`${stack.consoleUrl}/`);
      assert.match((await page.getByTestId('mode').textContent()) ?? '', /Fleet mode/);
      await page.locator('[data-testid=instances] td', { hasText: /^gw-|-/ }).first().waitFor();
      await page.locator('[data-testid=routes] tr[data-route=products]').waitFor();
    }));

  it('shows a host ejected after its upstream starts failing, without a reload', () =>
    step('ejection', async () => {
      stack.a.failing = true;
      for (let i = 0; i < 30; i++) await fetch(`${stack.gatewayUrl}/api/reports/${i}`).then(r => r.arrayBuffer());
      const row = page.locator('[data-testid=ejected] tr', { hasText: `127.0.0.1:${stack.a.port}` });
      await row.waitFor({ timeout: 10_000 });
      assert.match((await row.textContent()) ?? '', /ejected on 1 of 1 gateway/);
      assert.match((await row.textContent()) ?? '', /consecutive_5xx/i);
      // The route's request rate comes from two fleet reads of the gateway's counters.
      const rps = page.locator('[data-testid=routes] tr[data-route=reports] td.num').first();
      await page.waitForFunction(el => /^\d/.test(el.textContent), await rps.elementHandle(), { timeout: 8_000 });
      await page.screenshot({ path: `${DOCS}overview.png`, fullPage: true });
    }));

  it('refuses a flip without a reason at the server action, naming the field, and writes nothing', () =>
    step('no-reason', async () => {
      const v = await switchVersion();
      await page.goto(`${stack.consoleUrl}/switches`);
      const row = page.locator('tr[data-route=products]');
      await row.locator('select[name=mode]').selectOption('default');
      await row.getByRole('button', { name: 'Review…' }).click();
      await row.getByRole('button', { name: 'Confirm' }).click();
      await row.locator('[data-field-error=reason]').waitFor();
      assert.match((await row.locator('[data-field-error=reason]').textContent()) ?? '', /say why/);
      assert.equal(await switchVersion(), v);
    }));

  it('flips a route to default with a reason; the console says applied only once the gateway enforces it, and a real client gets the fallback', () =>
    step('flip', async () => {
      await page.goto(`${stack.consoleUrl}/switches`);
      const row = page.locator('tr[data-route=products]');
      await row.locator('select[name=mode]').selectOption('default');
      await row.locator('input[name=reason]').fill('catalog DB failover (test)');
      await row.locator('input[name=ticket]').fill('https://tickets.example.com/INC-42');
      await row.getByRole('button', { name: 'Review…' }).click();
      const blast = row.getByTestId('blast-radius');
      assert.match((await blast.textContent()) ?? '', /products.*high.*normal.*default/s);
      await page.screenshot({ path: `${DOCS}switch-board.png`, fullPage: true });
      await row.getByRole('button', { name: 'Confirm' }).click();
      const result = row.getByTestId('result');
      await result.waitFor({ timeout: 10_000 });
      assert.match((await result.textContent()) ?? '', /applied on 1 of 1 gateway/);
      // "Applied" was said: the gateway must be enforcing it right now.
      const r = await fetch(`${stack.gatewayUrl}/api/products/1`);
      assert.match(r.headers.get('x-brownout-degraded') ?? '', /^default\b/);
      assert.deepEqual(await r.json(), { products: [], degraded: true });
      const sw = (await (await fetch(`${stack.adminUrl}/switches`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { document: { routes: Partial<Record<string, { reason: string; actor: string }>> } };
      assert.equal(sw.document.routes.products?.reason, 'catalog DB failover (test)');
      assert.equal(sw.document.routes.products.actor, stack.adminEmail);
    }));

  it('refuses a cross-site server action call carrying the admin session (CSRF), writing nothing', () =>
    step('csrf', async () => {
      const session = (await page.context().cookies()).find(c => c.name === 'brownout_session');
      assert.ok(session);
      const cookie = `brownout_session=${session.value}`;
      const call = (origin: string, reason: string, extra: Record<string, string> = {}) => callAction(stack.consoleUrl, '/switches', 'flipRouteAction', { route: 'products', mode: 'default', reason }, { origin, cookie, ...extra });
      // Control: the same call from the console's own origin is carried out (a new switch version),
      // so the refusals below are the origin check, not a malformed call.
      const v0 = await switchVersion();
      const ok = await call(stack.consoleUrl, 'same-origin control');
      assert.equal(ok.status, 200, ok.text);
      assert.equal(await switchVersion(), v0 + 1, ok.text.slice(0, 500));
      const v = await switchVersion();
      for (const [origin, extra] of [['https://evil.example', {}], ['https://evil.example', { 'x-forwarded-host': 'evil.example' }], ['null', {}]] as const) {
        const r = await call(origin, 'csrf attempt', extra);
        assert.ok(r.status >= 400, `refused (${r.status}) for origin ${origin}`);
      }
      // Neither Origin nor Sec-Fetch-Site (Next alone carried this out), and a cross-site fetch
      // metadata header without Origin.
      for (const extra of [{}, { 'sec-fetch-site': 'cross-site' }]) {
        const r = await callAction(stack.consoleUrl, '/switches', 'flipRouteAction', { route: 'products', mode: 'default', reason: 'csrf without origin' }, { cookie, ...extra });
        assert.equal(r.status, 403, r.text.slice(0, 300));
        assert.match(r.text, /cross-site request refused/);
      }
      assert.equal(await switchVersion(), v, 'nothing was written');
      // The console is never framed, and loads scripts from itself only.
      const headers = (await fetch(`${stack.consoleUrl}/login`)).headers;
      assert.equal(headers.get('x-frame-options'), 'DENY');
      assert.match(headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.match(headers.get('content-security-policy') ?? '', /script-src 'self' 'unsafe-inline';/);
    }));

  it('refuses bad input at the server action (the form is bypassed), with a message next to the field, and writes nothing', () =>
    step('bad-input', async () => {
      await page.goto(`${stack.consoleUrl}/switches`);
      const v = await switchVersion();
      const row = page.locator('tr[data-route=reports]');
      // Each case edits the DOM as a forger would (past the browser's own checks), then submits.
      const cases = [
        { name: 'expiry in the past', field: 'expiresAt', message: /already in the past/ },
        { name: 'unknown route', field: 'route', message: /unknown route "nope"/ },
        { name: 'over-long reason', field: 'reason', message: /at most 500 characters/ },
        { name: 'unknown mode', field: 'mode', message: /one of normal, cache, default, fallback_service, reject/ },
      ] as const;
      for (const c of cases) {
        await page.goto(`${stack.consoleUrl}/switches`);
        await row.locator('input[name=reason]').fill('a good reason');
        // No named helpers inside: tsx wraps them in __name(), which the page does not have.
        await row.locator('form').evaluate((form, name) => {
          const f = form as HTMLFormElement;
          const input = (f.elements.namedItem(name === 'expiry in the past' ? 'expiresAt' : name === 'unknown route' ? 'route' : 'reason') as HTMLInputElement | null)!;
          if (name === 'expiry in the past') input.value = '2020-01-01T00:00';
          if (name === 'unknown route') input.value = 'nope';
          if (name === 'over-long reason') {
            input.removeAttribute('maxlength');
            input.value = 'x'.repeat(501);
          }
          if (name === 'unknown mode') {
            const sel = f.elements.namedItem('mode') as HTMLSelectElement;
            sel.append(new Option('drop_tables', 'drop_tables'));
            sel.value = 'drop_tables';
          }
          f.requestSubmit();
        }, c.name);
        const err = c.field === 'route' ? row.locator('p.field-error') : row.locator(`[data-field-error=${c.field}]`);
        await err.waitFor({ timeout: 10_000 });
        assert.match((await err.textContent()) ?? '', c.message, c.name);
        assert.equal(await switchVersion(), v, `${c.name}: nothing written`);
      }
      // The global level outside 0–3, forged the same way.
      const level = page.locator('form', { has: page.locator('select[name=level]') });
      await level.locator('input[name=reason]').fill('a good reason');
      await level.evaluate(f => {
        const sel = (f as HTMLFormElement).elements.namedItem('level') as HTMLSelectElement;
        const o = document.createElement('option');
        o.value = '7';
        sel.append(o);
        sel.value = '7';
        (f as HTMLFormElement).requestSubmit();
      });
      await level.locator('[data-field-error=level]').waitFor({ timeout: 10_000 });
      assert.match((await level.locator('[data-field-error=level]').textContent()) ?? '', /a level from 0 to 3/);
      assert.equal(await switchVersion(), v);
    }));

  it('lets the admin add a viewer, whose forged flip is refused with 403 and changes nothing', () =>
    step('viewer', async () => {
      await page.goto(`${stack.consoleUrl}/users`);
      await page.fill('input[name=email]', 'viewer@example.com');
      await page.fill('input[name=password]', 'viewer-password-123');
      await page.selectOption('select[name=role]', 'viewer');
      await page.getByRole('button', { name: 'Add' }).click();
      await page.getByText('Created viewer@example.com (viewer).').waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
      await signIn('viewer@example.com', 'viewer-password-123');
      await page.waitForURL(`${stack.consoleUrl}/`);
      await page.goto(`${stack.consoleUrl}/switches`);
      await page.getByText('Your role is viewer').waitFor();
      const v = await switchVersion();
      const row = page.locator('tr[data-route=reports]');
      // The board offers the viewer nothing; forge the call: enable the controls and submit anyway.
      await row.locator('select[name=mode]').selectOption('reject');
      await row.locator('input[name=reason]').fill('forged by a viewer');
      const [response] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST' && r.request().headers()['next-action'] !== undefined), forceSubmit(row)]);
      assert.equal(response.status(), 403);
      assert.equal(await switchVersion(), v, 'nothing was written');
      const fetched = await fetch(`${stack.gatewayUrl}/api/reports/1`);
      assert.equal(fetched.headers.get('x-brownout-degraded'), null);
    }));

  it('with Redis stopped: a banner, and a write is refused with nothing claimed', () =>
    step('redis-down', async () => {
      await page.goto(`${stack.consoleUrl}/switches`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
      await signIn(stack.adminEmail, stack.adminPassword);
      await page.waitForURL(`${stack.consoleUrl}/`);
      await page.goto(`${stack.consoleUrl}/switches`);
      await stack.redis.stop();
      const banner = page.getByTestId('link-down');
      await banner.waitFor({ timeout: 10_000 });
      assert.match((await banner.textContent()) ?? '', /Redis unreachable — read-only/);
      const row = page.locator('tr[data-route=reports]');
      assert.equal(await row.getByRole('button', { name: 'Review…' }).isDisabled(), true);
      // The server refuses too, whatever the page shows.
      await row.locator('input[name=reason]').fill('during the Redis outage');
      await forceSubmit(row);
      const result = row.getByTestId('result');
      await result.waitFor();
      assert.match((await result.textContent()) ?? '', /✕.*unreachable.*nothing was written/);
      // Redis back: the banner goes away on its own and the board is writable again.
      await stack.redis.start();
      await banner.waitFor({ state: 'detached', timeout: 10_000 });
      await page.locator('tr[data-route=reports]').getByRole('button', { name: 'Review…' }).and(page.locator(':enabled')).waitFor({ timeout: 5_000 });
    }));

  it('keeps every step in the audit log', () =>
    step('audit', async () => {
      await page.goto(`${stack.consoleUrl}/audit`);
      const actions = await page.locator('[data-testid=audit] tbody tr').evaluateAll(rows => rows.map(r => r.getAttribute('data-action')));
      for (const a of ['signin_failed', 'signin', 'switch_changed', 'user_created', 'access_denied', 'switch_refused', 'signout']) assert.ok(actions.includes(a), `audit has ${a}: ${actions.join(',')}`);
      const flip = page.locator('[data-testid=audit] tr[data-action=switch_changed]', { hasText: 'catalog DB failover' }).last(); // newest first: the flip itself is the oldest mention
      assert.match((await flip.textContent()) ?? '', /products.*catalog DB failover.*"mode":"normal".*"mode":"default".*applied on 1 of 1/s);
      // The gateway put its last good switches back into the restarted (empty) Redis: recorded too.
      assert.match((await page.locator('[data-testid=audit] tr[data-action=switch_changed]', { hasText: 'brownout-restore' }).first().textContent()) ?? '', /outside the console/);
      await page.goto(`${stack.consoleUrl}/audit?action=access_denied`);
      assert.match((await page.locator('[data-testid=audit] tbody').textContent()) ?? '', /viewer@example.com.*needs role operator/s);
      await page.screenshot({ path: `${DOCS}audit-log.png`, fullPage: true });
    }));
});
