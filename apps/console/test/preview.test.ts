import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STATUS_CODES } from 'node:http';
import { previewFallback } from '@/features/fallbacks/preview.ts';

const texts = Object.fromEntries(Object.entries(STATUS_CODES).map(([k, v]) => [k, v ?? '']));

describe('the fallback preview', () => {
  it('is the status line, the gateway degradation header, the headers as written and the rendered body with its byte length', () => {
    const p = previewFallback({ status: 503, contentType: 'application/json', headers: { 'Cache-Control': 'no-store' }, body: '{"path":"{{path}}","note":"café"}' }, { path: '/a/1', method: 'GET', route: 'r', level: 2 }, texts);
    assert.equal(p.statusLine, 'HTTP/1.1 503 Service Unavailable');
    assert.deepEqual(p.headers, [
      ['x-brownout-degraded', 'default; level=2; reason=switch'],
      ['content-type', 'application/json'],
      ['cache-control', 'no-store'],
      ['content-length', String(Buffer.byteLength('{"path":"/a/1","note":"café"}'))],
    ]);
    assert.equal(p.body, '{"path":"/a/1","note":"café"}');
  });
});
