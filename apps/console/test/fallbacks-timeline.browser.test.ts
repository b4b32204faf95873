import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { Browser, Locator, Page } from 'playwright-core';
import { DOCS, launchChromium, step as runStep, submitSignIn } from './browser.ts';
import { SWITCH_KEY, writeSwitchDocument } from '@brownout/control-plane';
import { open, type Db } from '@/server/db/client.ts';
import { hashPassword } from '@/features/auth/password.ts';
import { newUserId } from '@/features/auth/session.ts';
import { startStack, stopStack, type Stack } from './stack.ts';
import { callAction } from './actions.ts';

/**
 * Console part 2 end to end in Debian's Chromium against the built console, a real gateway process
 * and a real Redis: fallback versions (preview = what a real client receives, publish, edit,
 * rollback, diff, refusals), the incident timeline of a scripted incident, and the charts.
 */
const PASSWORD = 'a-long-enough-password';

describe('fallback responses, timeline and charts in a browser', { timeout: 240_000 }, () => {
  let stack: Stack;
  let browser: Browser | undefined;
  let page: Page;
  let redis: Redis | undefined;
  let db: Db | undefined;

  before(async () => {
    stack = await startStack({ ejectionTime: '10s', consoleEnv: { BROWNOUT_CONSOLE_SAMPLE_MS: '1000', BROWNOUT_CONSOLE_FALLBACK_MAX_BYTES: '4096' } });
    redis = new Redis(stack.redis.url);
    redis.on('error', () => undefined);
    // Users for the roles under test, straight into the console's database.
    db = await open(stack.consoleDbUrl);
    for (const [email, role] of [['editor@example.com', 'editor'], ['viewer@example.com', 'viewer']] as const) {
      await db.user.create({ data: { id: newUserId(), email, role, passwordHash: await hashPassword(PASSWORD) } });
    }
    const b = await launchChromium();
    browser = b;
    page = await b.newPage({ viewport: { width: 1280, height: 1000 } });
  });
  after(async () => {
    await browser?.close();
    redis?.disconnect();
    await db?.$disconnect();
    await stopStack();
  });

  const step = (name: string, f: () => Promise<void>): Promise<void> => runStep(page, name, f);

  async function signInAs(email: string, password = PASSWORD): Promise<void> {
    await page.context().clearCookies();
    await submitSignIn(page, stack.consoleUrl, email, password);
    await page.waitForURL(`${stack.consoleUrl}/`);
  }

  const editor = (): Locator => page.locator('form', { has: page.locator('textarea[name=body]') });

  async function saveDraft(d: { status?: string; contentType?: string; headers?: string; body?: string; grpcStatus?: string; grpcMessage?: string; grpcResponse?: string; message?: string }): Promise<Locator> {
    const f = editor();
    if (d.grpcStatus !== undefined) await f.locator('select[name=grpcStatus]').selectOption(d.grpcStatus);
    if (d.grpcMessage !== undefined) await f.locator('input[name=grpcMessage]').fill(d.grpcMessage);
    if (d.grpcResponse !== undefined) await f.locator('textarea[name=grpcResponse]').fill(d.grpcResponse);
    if (d.status !== undefined) await f.locator('input[name=status]').fill(d.status);
    if (d.contentType !== undefined) await f.locator('input[name=contentType]').fill(d.contentType);
    if (d.headers !== undefined) await f.locator('textarea[name=headers]').fill(d.headers);
    if (d.body !== undefined) await f.locator('textarea[name=body]').fill(d.body);
    await f.locator('input[name=message]').fill(d.message ?? 'a change');
    await f.getByRole('button', { name: 'Save as new version' }).click();
    const result = f.getByTestId('save-result');
    await result.waitFor();
    return result;
  }

  async function versions(): Promise<number> {
    return db!.fallbackVersion.count({ where: { route: 'products' } });
  }

  async function switchToDefault(): Promise<void> {
    const doc = JSON.parse((await redis!.get(SWITCH_KEY)) ?? '{"version":0}') as { version: number; routes?: Record<string, unknown> };
    const r = await writeSwitchDocument(redis!, { ...doc, version: doc.version + 1, routes: { ...doc.routes, products: { mode: 'default', reason: 'test: serve the fallback', actor: 'test' } }, updated_by: 'test' }, 'test');
    assert.ok(r.ok, JSON.stringify(r));
    // Until the gateway enforces it, a client would still get the upstream.
    for (let i = 0; i < 50 && (await fetch(`${stack.gatewayUrl}/api/products/1`)).headers.get('x-brownout-degraded') === null; i++) await new Promise(res => setTimeout(res, 100));
  }

  /** What the preview says a client receives. */
  async function preview(): Promise<{ status: number; headers: [string, string][]; body: string }> {
    const p = page.getByTestId('preview');
    const statusLine = (await p.getByTestId('preview-status').textContent()) ?? '';
    const headers = ((await p.getByTestId('preview-headers').textContent()) ?? '')
      .split('\n')
      .filter(Boolean)
      .map(l => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)] as [string, string]);
    return { status: Number(statusLine.split(' ')[1]), headers, body: (await p.getByTestId('preview-body').textContent()) ?? '' };
  }

  async function clientGets(path: string): Promise<{ status: number; headers: Headers; body: string }> {
    const r = await fetch(`${stack.gatewayUrl}${path}`);
    return { status: r.status, headers: r.headers, body: await r.text() };
  }

  const V1 = '{"products":[],"path":"{{path}}","v":1}';
  const V2 = '{"products":[],"path":"{{path}}","v":2,"retry_in":30}';

  it('an editor creates a fallback, previews it and publishes it; a real client then receives exactly the preview', () =>
    step('create-publish', async () => {
      await signInAs('editor@example.com');
      await page.goto(`${stack.consoleUrl}/fallbacks/products`);
      const saved = await saveDraft({ status: '200', contentType: 'application/json', headers: 'Cache-Control: no-store\nX-Fallback-Owner: catalog-team', body: V1, message: 'first fallback' });
      assert.match((await saved.textContent()) ?? '', /Saved v1/);
      await page.fill('input[name=samplePath]', '/api/products/42');
      const shown = await preview();
      assert.equal(shown.body, '{"products":[],"path":"/api/products/42","v":1}');
      await page.getByTestId('publish-v1').click();
      const published = page.getByTestId('publish-result');
      await published.waitFor({ timeout: 10_000 });
      assert.match((await published.textContent()) ?? '', /v1 published: version \d+ applied on 1 of 1 gateway/);
      await switchToDefault();
      const got = await clientGets('/api/products/42');
      assert.equal(got.status, shown.status);
      for (const [name, value] of shown.headers) assert.equal(got.headers.get(name), value, `header ${name}`);
      assert.equal(got.body, shown.body);
    }));

  it('the editor edits and publishes v2 (the client receives v2), the diff view shows the change, and a rollback to v1 serves v1 again', () =>
    step('edit-rollback', async () => {
      await page.goto(`${stack.consoleUrl}/fallbacks/products`);
      assert.match((await saveDraft({ body: V2, message: 'add a retry hint' }).then(r => r.textContent())) ?? '', /Saved v2/);
      await page.getByTestId('publish-v2').click();
      await page.getByTestId('publish-result').waitFor({ timeout: 10_000 });
      assert.equal((await clientGets('/api/products/7')).body, '{"products":[],"path":"/api/products/7","v":2,"retry_in":30}');
      await page.goto(`${stack.consoleUrl}/fallbacks/products?diff=2`);
      const diff = page.getByTestId('diff');
      assert.match((await diff.locator('.diff-removed').textContent()) ?? '', /"v":1\}/);
      assert.match((await diff.locator('.diff-added').textContent()) ?? '', /"v":2,"retry_in":30/);
      await page.fill('input[name=samplePath]', '/api/products/42');
      await page.screenshot({ path: `${DOCS}fallback-editor.png`, fullPage: true });
      await page.getByTestId('rollback-v1').click();
      const rolled = page.getByTestId('publish-result');
      await rolled.waitFor({ timeout: 10_000 });
      assert.match((await rolled.textContent()) ?? '', /Rolled back to v1 as v3/);
      assert.equal((await clientGets('/api/products/9')).body, '{"products":[],"path":"/api/products/9","v":1}');
      // What each gateway serves comes from its next status heartbeat: wait for it, bounded.
      let row = '';
      for (let i = 0; i < 20 && !/v3.*v3.*: v3/s.test(row); i++) {
        if (i > 0) await new Promise(r => setTimeout(r, 250));
        await page.goto(`${stack.consoleUrl}/fallbacks`);
        row = (await page.locator('tr[data-route=products]').textContent()) ?? '';
      }
      assert.match(row, /v3.*v3.*: v3/s);
    }));

  it('a gRPC answer beside the HTTP one: previewed, saved, shown in the diff, and published into the switch document the gateway applies', () =>
    step('grpc-answer', async () => {
      await page.goto(`${stack.consoleUrl}/fallbacks/products`);
      const saved = await saveDraft({ grpcStatus: '0', grpcResponse: 'CgNhYmMQAQ==', message: 'gRPC callers get an empty catalogue' });
      const version = Number(/Saved v(\d+)/.exec((await saved.textContent()) ?? '')?.[1]);
      assert.ok(version > 1);
      assert.equal(await page.getByTestId('preview-grpc').textContent(), 'gRPC callers: grpc-status: 0 (OK), one response message of 7 bytes');
      await page.getByTestId(`publish-v${version}`).click();
      const published = page.getByTestId('publish-result');
      await published.waitFor({ timeout: 10_000 });
      assert.match((await published.textContent()) ?? '', new RegExp(`v${version} published: version \\d+ applied on 1 of 1 gateway`));
      const doc = JSON.parse((await redis!.get(SWITCH_KEY)) ?? '{}') as { fallbacks?: Record<string, { grpc?: unknown; body?: string }> };
      assert.deepEqual(doc.fallbacks?.products?.grpc, { status: 0, message: '', response_base64: 'CgNhYmMQAQ==' });
      // An HTTP client still gets the HTTP answer.
      assert.equal((await clientGets('/api/products/5')).body, '{"products":[],"path":"/api/products/5","v":1}');
      await page.goto(`${stack.consoleUrl}/fallbacks/products?diff=${version}`);
      assert.match((await page.getByTestId('diff').locator('.diff-added').textContent()) ?? '', /grpc-status: 0[\s\S]*grpc response \(base64\): CgNhYmMQAQ==/);
      // Back to a status answer: the form starts from the saved version's gRPC fields.
      assert.equal(await editor().locator('textarea[name=grpcResponse]').inputValue(), 'CgNhYmMQAQ==');
      const next = await saveDraft({ grpcStatus: '14', grpcMessage: 'catalogue degraded', grpcResponse: '', message: 'gRPC callers retry' });
      assert.match((await next.textContent()) ?? '', /Saved v/);
      assert.equal(await page.getByTestId('preview-grpc').textContent(), 'gRPC callers: grpc-status: 14 (UNAVAILABLE), grpc-message: catalogue degraded');
    }));

  it('refuses bad input with a message next to the field and saves nothing', () =>
    step('bad-input', async () => {
      await page.goto(`${stack.consoleUrl}/fallbacks/products`);
      const before = await versions();
      const cases: [string, Parameters<typeof saveDraft>[0], string, RegExp][] = [
        ['invalid JSON', { body: '{"products": [' }, 'body', /not valid JSON/],
        ['body over the limit', { body: JSON.stringify({ pad: 'x'.repeat(5_000) }) }, 'body', /at most 4096 bytes/],
        ['content-length header', { body: V1, headers: 'Content-Length: 5' }, 'headers', /Content-Length.*cannot be set by a fallback/],
        ['transfer-encoding header', { body: V1, headers: 'Transfer-Encoding: chunked' }, 'headers', /Transfer-Encoding.*cannot be set by a fallback/],
        ['control character in a header value', { body: V1, headers: 'X-Note: a\u0007b' }, 'headers', /no CR, LF or control characters/],
        ['status 99', { body: V1, status: '99' }, 'status', /a status from 200 to 599/],
        ['status 600', { body: V1, status: '600' }, 'status', /a status from 200 to 599/],
        ['a gRPC response message with a failure status', { body: V1, grpcStatus: '14', grpcResponse: 'CgNhYmM=' }, 'grpcResponse', /only with status 0/],
        ['a gRPC response that is not base64', { body: V1, grpcStatus: '0', grpcResponse: 'not base64!' }, 'grpcResponse', /standard base64/],
      ];
      for (const [name, draft, field, message] of cases) {
        await page.goto(`${stack.consoleUrl}/fallbacks/products`);
        const r = await saveDraft({ status: '200', headers: '', ...draft });
        assert.match((await r.textContent()) ?? '', /Not saved/, name);
        assert.match((await editor().locator(`[data-field-error=${field}]`).textContent()) ?? '', message, name);
      }
      // CR/LF in a header: a browser strips them from a one-line field, so they come from a client
      // calling the action directly (with the editor's session). In the headers textarea a line end
      // separates two headers (multipart bodies carry any lone CR or LF as CRLF); control characters
      // inside a value are refused above, and the gateway's schema refuses CR/LF in values again
      // (packages/core fallback header tests).
      const session = (await page.context().cookies()).find(c => c.name === 'brownout_session')!;
      const forged = { route: 'products', status: '200', body: V1, message: 'header injection' };
      const headers = { origin: stack.consoleUrl, cookie: `brownout_session=${session.value}` };
      for (const [fields, message] of [
        [{ ...forged, contentType: 'application/json\r\nSet-Cookie: session=stolen', headers: '' }, /"contentType":"no CR, LF or NUL"/],
      ] as const) {
        const r = await callAction(stack.consoleUrl, '/fallbacks/products', 'saveFallbackAction', fields, headers);
        assert.equal(r.status, 200);
        assert.match(r.text, message);
      }
      assert.equal(await versions(), before, 'nothing was saved');
    }));

  it('a viewer cannot save or publish: forged calls are refused with 403 and change nothing', () =>
    step('viewer', async () => {
      await signInAs('viewer@example.com');
      await page.goto(`${stack.consoleUrl}/fallbacks/products`);
      const before = await versions();
      const published = (JSON.parse((await redis!.get(SWITCH_KEY)) ?? '{}') as { version?: number }).version;
      await editor().locator('textarea[name=body]').fill('{"forged":true}');
      await editor().locator('input[name=message]').fill('forged');
      const isAction = (r: { request: () => { method: () => string; headers: () => Record<string, string> } }) => r.request().method() === 'POST' && r.request().headers()['next-action'] !== undefined;
      const [save] = await Promise.all([page.waitForResponse(isAction), editor().evaluate(f => {
        (f as HTMLFormElement).requestSubmit();
      })]);
      assert.equal(save.status(), 403);
      await page.goto(`${stack.consoleUrl}/fallbacks/products`);
      const publishForm = page.locator('tr[data-version="1"] form');
      const [pub] = await Promise.all([page.waitForResponse(isAction), publishForm.evaluate(f => {
        (f as HTMLFormElement).requestSubmit();
      })]);
      assert.equal(pub.status(), 403);
      assert.equal(await versions(), before);
      assert.equal((JSON.parse((await redis!.get(SWITCH_KEY)) ?? '{}') as { version?: number }).version, published);
    }));

  it('the timeline shows a scripted incident in order with correct times: ejection, switch, un-ejection, switch lifted', () =>
    step('timeline', async () => {
      await signInAs(stack.adminEmail, stack.adminPassword);
      const marks: Record<string, [number, number]> = {};
      const mark = async (name: string, f: () => Promise<void>): Promise<void> => {
        const t0 = Date.now();
        await f();
        marks[name] = [t0, Date.now()];
      };
      // The upstream fails; traffic gets it ejected (the gateway reports the ejection).
      await mark('ejected', async () => {
        stack.a.failing = true;
        for (let i = 0; i < 30; i++) await fetch(`${stack.gatewayUrl}/api/reports/${i}`).then(r => r.arrayBuffer());
        await page.goto(`${stack.consoleUrl}/`);
        await page.locator('[data-testid=ejected] tr', { hasText: `127.0.0.1:${stack.a.port}` }).waitFor({ timeout: 10_000 });
      });
      // An operator flips reports to reject.
      await mark('flip', async () => {
        await page.goto(`${stack.consoleUrl}/switches`);
        const row = page.locator('tr[data-route=reports]');
        await row.locator('select[name=mode]').selectOption('reject');
        await row.locator('input[name=reason]').fill('upstream a failing (incident drill)');
        await row.getByRole('button', { name: 'Review…' }).click();
        await row.getByRole('button', { name: 'Confirm' }).click();
        await row.getByTestId('result').waitFor({ timeout: 10_000 });
      });
      // The upstream recovers; after its ejection time the gateway returns it to rotation.
      await mark('unejected', async () => {
        stack.a.failing = false;
        for (let i = 0; i < 200; i++) {
          const hosts = (await (await fetch(`${stack.adminUrl}/clusters`, { headers: { authorization: 'Bearer test-admin-token' } })).json()) as { clusters: { hosts: { port: number; ejected: boolean }[] }[] };
          if (!hosts.clusters[0]!.hosts.find(h => h.port === stack.a.port)!.ejected) break;
          await new Promise(r => setTimeout(r, 100));
        }
      });
      // The switch is lifted.
      await mark('lifted', async () => {
        await page.goto(`${stack.consoleUrl}/switches`);
        const row = page.locator('tr[data-route=reports]');
        await row.getByRole('button', { name: 'Restore normal…' }).click();
        await row.locator('input[name=reason]').fill('upstream a recovered');
        await row.getByRole('button', { name: 'Confirm' }).click();
        await row.getByTestId('result').waitFor({ timeout: 10_000 });
      });
      await page.goto(`${stack.consoleUrl}/timeline`);
      const wanted = [
        ['ejected', 'host_ejected', `127.0.0.1:${stack.a.port}`],
        ['flip', 'switch_changed', 'route reports'],
        ['unejected', 'host_unejected', `127.0.0.1:${stack.a.port}`],
        ['lifted', 'switch_changed', 'route reports'],
      ] as const;
      let entries: { action: string; at: string; text: string }[] = [];
      for (let i = 0; i < 30; i++) {
        entries = await page.locator('[data-testid=timeline] li').evaluateAll(lis => lis.map(li => ({ action: li.getAttribute('data-action') ?? '', at: li.getAttribute('data-at') ?? '', text: li.textContent })));
        if (entries.filter(e => e.action === 'host_unejected').length > 0 && entries.filter(e => e.text.includes('route reports')).length >= 2) break;
        await new Promise(r => setTimeout(r, 500));
        await page.reload();
      }
      let last = -1;
      let lastAt = 0;
      for (const [step_, action, text] of wanted) {
        const i = entries.findIndex((e, j) => j > last && e.action === action && e.text.includes(text));
        assert.ok(i > last, `${action} (${text}) after position ${last}: ${entries.map(e => `${e.action} ${e.text}`).join(' | ')}`);
        const at = Date.parse(entries[i]!.at);
        const [t0, t1] = marks[step_]!;
        assert.ok(at >= t0 - 50 && at <= t1 + 50, `${action} at ${entries[i]!.at} within its step (${new Date(t0).toISOString()}–${new Date(t1).toISOString()})`);
        assert.ok(at >= lastAt, 'in time order');
        last = i;
        lastAt = at;
      }
      await page.screenshot({ path: `${DOCS}timeline.png`, fullPage: true });
      // Each entry links to its audit record.
      await page.locator('[data-testid=timeline] li[data-action=host_ejected] a').first().click();
      await page.waitForURL(/\/audit\?id=\d+/);
      assert.equal(await page.locator('[data-testid=audit] tbody tr').count(), 1);
      assert.equal(await page.locator('[data-testid=audit] tbody tr').getAttribute('data-action'), 'host_ejected');
      // Filters: a route keeps its own events; a cluster keeps its hosts' events and its routes' events.
      const actionsAt = async (query: string) => {
        await page.goto(`${stack.consoleUrl}/timeline?${query}`);
        return page.locator('[data-testid=timeline] li').evaluateAll(lis => lis.map(li => `${li.getAttribute('data-action') ?? ''} ${li.textContent}`));
      };
      const reports = await actionsAt('route=reports');
      assert.ok(reports.length >= 2 && reports.every(e => e.includes('reports')), reports.join(' | '));
      const catalog = await actionsAt('cluster=catalog');
      assert.ok(catalog.some(e => e.startsWith('host_ejected')) && catalog.some(e => e.includes('route reports')), catalog.join(' | '));
      assert.equal((await actionsAt('cluster=no-such-cluster')).length, 0);
    }));

  it('the charts show the sampled history with the events marked', () =>
    step('charts', async () => {
      for (let i = 0; i < 20; i++) await fetch(`${stack.gatewayUrl}/api/products/${i}`).then(r => r.arrayBuffer());
      await new Promise(r => setTimeout(r, 2_500));
      await page.goto(`${stack.consoleUrl}/charts?minutes=5`);
      for (const id of ['chart-rps', 'chart-errors', 'chart-degraded', 'chart-p99', 'chart-ejected']) {
        const c = page.getByTestId(id);
        await c.locator('canvas').waitFor();
        assert.ok(Number(await c.getAttribute('data-points')) >= 3, `${id} has samples`);
      }
      await page.screenshot({ path: `${DOCS}charts.png`, fullPage: true });
    }));

  it('renders an hour of history for 50 routes: every route pickable, the busiest eight drawn, all samples on the axis', () =>
    step('charts-50', async () => {
      const now = Date.now();
      const rows = [];
      for (let r = 0; r < 50; r++) {
        for (let i = 0; i < 720; i++) rows.push({ at: new Date(now - (720 - i) * 5_000), route: `load-${String(r).padStart(2, '0')}`, rps: r + Math.sin(i / 20) * 3 + 3, errorRatio: 0.01, degradedRate: 0, p99Ms: 20 + r });
      }
      await db!.routeSample.createMany({ data: rows });
      await page.goto(`${stack.consoleUrl}/charts?minutes=60`);
      const rps = page.getByTestId('chart-rps');
      await rps.locator('canvas').waitFor();
      assert.ok(Number(await rps.getAttribute('data-points')) >= 720);
      assert.ok((await page.locator('.route-picker input').count()) >= 52);
      assert.equal(await page.locator('.route-picker input:checked').count(), 8);
      // The busiest are the highest-numbered synthetic routes.
      assert.equal(await page.locator('.route-picker label', { hasText: 'load-49' }).locator('input').isChecked(), true);
    }));
});
