import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkDraft, compileSchema, parseHeaderLines, type DraftCheck } from '@/features/fallbacks/fallback-input.ts';

const bodyError = (c: DraftCheck): string | undefined => (c.ok ? undefined : c.fields.body);

const draft = (over: Record<string, string> = {}) => ({ route: 'products', status: '200', contentType: 'application/json', headers: '', body: '{"products":[]}', message: 'a change', ...over });

describe('fallback drafts', () => {
  it('checks a JSON body against the route\'s JSON Schema (ajv), naming what is wrong', () => {
    const schema = compileSchema('{"type":"object","required":["products"],"properties":{"products":{"type":"array"}}}');
    assert.ok(schema.ok);
    assert.equal(checkDraft(draft(), { maxBytes: 1_000, schema: schema.validate }).ok, true);
    const bad = checkDraft(draft({ body: '{"products":"none"}' }), { maxBytes: 1_000, schema: schema.validate });
    assert.deepEqual(bad, { ok: false, fields: { body: "does not match the route's JSON Schema: /products must be array" } });
    const missing = checkDraft(draft({ body: '{}' }), { maxBytes: 1_000, schema: schema.validate });
    assert.match(bodyError(missing) ?? '', /must have required property 'products'/);
  });

  it('parses the body with sample values for the placeholders (a {{path}} inside a string is fine, a bare one is not JSON)', () => {
    assert.equal(checkDraft(draft({ body: '{"path":"{{path}}"}' }), { maxBytes: 1_000 }).ok, true);
    assert.match(bodyError(checkDraft(draft({ body: '{"n":{{path}}}' }), { maxBytes: 1_000 })) ?? '', /not valid JSON/);
    assert.equal(checkDraft(draft({ contentType: 'text/plain', body: 'not json at all' }), { maxBytes: 1_000 }).ok, true, 'only JSON types must parse');
  });

  it('refuses a schema that is not JSON or not a JSON Schema', () => {
    const notJson = compileSchema('{nope');
    assert.equal(notJson.ok, false);
    assert.match((notJson as { message: string }).message, /^not valid JSON/);
    assert.match((compileSchema('{"type":"no-such-type"}') as { message: string }).message, /not a valid JSON Schema/);
    assert.match((compileSchema('[1]') as { message: string }).message, /a JSON Schema is an object/);
  });

  it('reads header lines (CRLF line ends from browsers), refusing duplicates, content-type and lines without a colon', () => {
    assert.deepEqual(parseHeaderLines('Cache-Control: no-store\r\nX-A: 1\r\n'), { headers: { 'Cache-Control': 'no-store', 'X-A': '1' } });
    assert.deepEqual(parseHeaderLines('X-A: 1\nx-a: 2'), { error: 'line 2: "x-a" is given twice' });
    assert.deepEqual(parseHeaderLines('Content-Type: text/html'), { error: 'line 1: set the content type in its own field' });
    assert.deepEqual(parseHeaderLines('just words'), { error: 'line 1: expected "Name: value"' });
  });

  it('the gRPC answer: a status (and message, or with OK a base64 response message) checked by the gateway\'s own schema, field by field', () => {
    const grpcOf = (c: DraftCheck) => (c.ok ? c.draft.grpc : c.fields);
    assert.equal(grpcOf(checkDraft(draft(), { maxBytes: 1_000 })), null, 'none chosen: none stored');
    assert.deepEqual(grpcOf(checkDraft(draft({ grpcStatus: '14', grpcMessage: 'catalogue is degraded' }), { maxBytes: 1_000 })), { status: 14, message: 'catalogue is degraded' });
    assert.deepEqual(grpcOf(checkDraft(draft({ grpcStatus: '0', grpcResponse: 'CgNhYmM=' }), { maxBytes: 1_000 })), { status: 0, message: '', response_base64: 'CgNhYmM=' });
    assert.deepEqual(grpcOf(checkDraft(draft({ grpcStatus: '17' }), { maxBytes: 1_000 })), { grpcStatus: 'a gRPC status from 0 to 16' });
    assert.deepEqual(grpcOf(checkDraft(draft({ grpcStatus: 'OK' }), { maxBytes: 1_000 })), { grpcStatus: 'a gRPC status from 0 to 16' });
    assert.deepEqual(grpcOf(checkDraft(draft({ grpcStatus: '14', grpcResponse: 'CgNhYmM=' }), { maxBytes: 1_000 })), { grpcResponse: 'response_base64 is the answer of a successful call: only with status 0' });
    assert.deepEqual(grpcOf(checkDraft(draft({ grpcStatus: '0', grpcResponse: 'not base64!' }), { maxBytes: 1_000 })), { grpcResponse: 'standard base64 (A–Z, a–z, 0–9, +, /, = padding)' });
    assert.deepEqual(grpcOf(checkDraft(draft({ grpcStatus: '0', grpcResponse: 'A'.repeat(90_000) }), { maxBytes: 1_000 })), { grpcResponse: 'at most 64 KiB once decoded' });
    assert.deepEqual(grpcOf(checkDraft(draft({ grpcStatus: '14', grpcMessage: 'line\r\nx-injected: 1' }), { maxBytes: 1_000 })), { grpcMessage: 'no CR, LF or control characters' });
    assert.deepEqual(grpcOf(checkDraft(draft({ grpcMessage: 'a message without a status' }), { maxBytes: 1_000 })), { grpcStatus: 'pick a gRPC status for this answer' });
  });
});
