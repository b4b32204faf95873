import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requestIdFor, uuidV4 } from './request-id.ts';

describe('request ids', () => {
  it('generates RFC 9562 version-4 UUIDs, unique across many refills of the entropy pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = uuidV4();
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 20_000);
  });

  it('keeps a trusted or preserved incoming id only when it is well-formed', () => {
    const rules = { generate: true, preserveExternal: false };
    assert.equal(requestIdFor('edge-1', true, rules), 'edge-1');
    assert.match(requestIdFor('edge-1', false, rules), /^[0-9a-f-]{36}$/);
    assert.match(requestIdFor('bad id"', true, rules), /^[0-9a-f-]{36}$/);
    assert.equal(requestIdFor(undefined, false, { generate: false, preserveExternal: false }), '');
  });
});
