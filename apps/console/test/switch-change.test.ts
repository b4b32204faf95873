import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SwitchDocument } from '@brownout/core/config';
import { nextDocument } from '@/features/switches/switch-change.ts';
import { fieldErrors, routeFlipSchema } from '@/features/switches/switch-input.ts';

const NOW = Date.parse('2026-12-03T10:00:00Z');

describe('console switch changes (issue 23)', () => {
  it('an expired route override is dropped by the next flip, so the writer never refuses it as "already expired"', () => {
    const current: SwitchDocument = {
      version: 7,
      global_level: 0,
      global_shadow: false,
      routes: {
        old: { mode: 'reject', reason: 'yesterday', actor: 'ana', shadow: false, expires_at: '2026-12-03T09:00:00Z' },
        live: { mode: 'default', reason: 'now', actor: 'ana', shadow: false, expires_at: '2026-12-03T11:00:00Z' },
      },
      fallbacks: {},
    };
    const next = nextDocument(current, { kind: 'level', level: { level: 1, reason: 'incident', shadow: false } }, 'bo', new Date(NOW));
    assert.equal(next.version, 8);
    assert.equal(next.global_level, 1);
    assert.deepEqual(Object.keys(next.routes), ['live']);
  });

  it('refuses a javascript: ticket and an expiry more than 30 days ahead, next to the field', () => {
    const schema = routeFlipSchema(() => NOW);
    const base = { route: 'products', mode: 'default', reason: 'incident' };
    const js = schema.safeParse({ ...base, ticket: 'javascript:alert(document.cookie)' });
    assert.equal(js.success, false);
    assert.match(fieldErrors(js.error).ticket ?? '', /http:\/\/ or https:\/\//);
    const far = schema.safeParse({ ...base, expiresAt: '9999-12-31T00:00' });
    assert.equal(far.success, false);
    assert.match(fieldErrors(far.error).expiresAt ?? '', /at most 30 days ahead/);
    assert.equal(schema.safeParse({ ...base, ticket: 'https://tickets.example/INC-9', expiresAt: '2026-12-10T00:00' }).success, true);
  });
});
