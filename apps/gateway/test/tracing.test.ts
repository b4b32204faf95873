import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { eventually, gateway, hostsOf, upstreams } from './harness.ts';

// OpenTelemetry tracing (config `tracing`): a SERVER span per routed request, a CLIENT span per
// upstream attempt, W3C traceparent upstream; spans captured with the SDK's in-memory exporter, and
// once over real OTLP/HTTP to a collector on loopback.

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const tracing = (sampling = 100): { random_sampling: number; otlp_http: { endpoint: string } } => ({ random_sampling: sampling, otlp_http: { endpoint: 'http://127.0.0.1:9/v1/traces' } });
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

describe('tracing', () => {
  it('a retried request: one SERVER span under the caller\'s trace, one CLIENT span per attempt, and the upstream hears its attempt as parent', async () => {
    const ups = await upstreams(2);
    await ups[0]!.setMode('503');
    const exporter = new InMemorySpanExporter();
    const g = await gateway(
      {
        clusters: [{ name: 'api', hosts: hostsOf(ups), lb_policy: 'ROUND_ROBIN' }],
        routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: '5xx', num_retries: 2 } }],
        tracing: tracing(),
      },
      { spanExporter: exporter },
    );
    let retried: { id: string } | undefined;
    for (let i = 0; i < 4 && !retried; i++) {
      const r = await g.get(`/t/${i}`, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
      assert.equal(r.status, 200);
      if (r.headers['x-brownout-attempt-count'] === '2') retried = { id: String(r.headers['x-request-id']) };
    }
    assert.ok(retried, 'a request went to the 503 host first');
    await eventually(() => exporter.getFinishedSpans().some(s => s.kind === SpanKind.SERVER && s.attributes['brownout.request_id'] === retried.id), 2_000, 'the server span');
    const spans = exporter.getFinishedSpans();
    const server = spans.find(s => s.kind === SpanKind.SERVER && s.attributes['brownout.request_id'] === retried.id)!;
    assert.equal(server.spanContext().traceId, CLIENT_TRACE, 'the caller\'s trace continues');
    assert.equal(parentOf(server), CLIENT_SPAN);
    assert.equal(server.attributes['brownout.route'], 'r');
    assert.equal(server.attributes['http.response.status_code'], 200);
    const attempts = spans.filter(s => s.kind === SpanKind.CLIENT && parentOf(s) === server.spanContext().spanId).sort((a, b) => Number(a.attributes['brownout.attempt']) - Number(b.attributes['brownout.attempt']));
    assert.equal(attempts.length, 2);
    assert.deepEqual(attempts.map(a => a.attributes['brownout.attempt']), [1, 2]);
    assert.deepEqual(attempts.map(a => a.attributes['http.response.status_code']), [503, 200]);
    assert.deepEqual(attempts.map(a => a.attributes['server.port']), [ups[0]!.address.port, ups[1]!.address.port]);
    const heard = String(ups[1]!.lastHeaders.traceparent);
    assert.equal(heard, `00-${CLIENT_TRACE}-${attempts[1]!.spanContext().spanId}-01`);
  });

  it('sampling: an untrusted caller cannot force a trace (random_sampling 0 exports nothing, the trace id still travels); a trusted proxy can', async () => {
    const ups = await upstreams(1);
    const exporter = new InMemorySpanExporter();
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }], tracing: tracing(0) }, { spanExporter: exporter });
    assert.equal((await g.get('/u', { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` })).status, 200);
    assert.match(String(ups[0]!.lastHeaders.traceparent), new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-00$`));
    const trusted = await gateway(
      { listener: { trusted_proxies: ['127.0.0.1'] }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }], tracing: tracing(0) },
      { spanExporter: exporter },
    );
    assert.equal((await trusted.get('/t', { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` })).status, 200);
    await eventually(() => exporter.getFinishedSpans().length === 2, 2_000, 'the trusted request\'s two spans');
    assert.deepEqual(exporter.getFinishedSpans().map(s => String(s.attributes['url.path'] ?? s.attributes['brownout.attempt'])).sort(), ['/t', '1']);
  });

  it('a degraded answer and a local reply carry the mode and the response flags; malformed traceparent starts a new trace', async () => {
    const ups = await upstreams(1);
    await ups[0]!.setMode('503');
    const exporter = new InMemorySpanExporter();
    const g = await gateway(
      {
        clusters: [{ name: 'api', hosts: hostsOf(ups) }],
        routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', degradation: { mode: 'default', default_response: { status: 200, body: 'fallback' } } }],
        tracing: tracing(),
      },
      { spanExporter: exporter },
    );
    const r = await g.get('/d', { traceparent: 'garbage-not-a-traceparent' });
    assert.equal(r.text, 'fallback');
    await eventually(() => exporter.getFinishedSpans().some(s => s.kind === SpanKind.SERVER), 2_000, 'the server span');
    const server = exporter.getFinishedSpans().find(s => s.kind === SpanKind.SERVER)!;
    assert.equal(parentOf(server), undefined, 'a new root');
    assert.equal(server.attributes['brownout.degraded_mode'], 'default');
    assert.match(String(server.attributes['brownout.response_flags']), /UR|DG/);
  });

  it('off by default: nothing is built, and a caller\'s traceparent passes through untouched', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    assert.equal(g.gw.tracing, undefined);
    await g.get('/o', { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    assert.equal(ups[0]!.lastHeaders.traceparent, `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`);
  });

  it('exports over OTLP/HTTP to a collector on loopback, and the access log names the trace', async () => {
    const posts: { url: string; type: string; body: string }[] = [];
    const collector = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('latin1')));
      req.on('end', () => {
        posts.push({ url: req.url ?? '', type: String(req.headers['content-type']), body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>(r => collector.listen(0, '127.0.0.1', () => { r(); }));
    const ups = await upstreams(1);
    const logFile = join(mkdtempSync(join(tmpdir(), 'brownout-trace-')), 'access.log');
    const g = await gateway(
      {
        clusters: [{ name: 'api', hosts: hostsOf(ups) }],
        routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }],
        tracing: { service_name: 'edge-test', otlp_http: { endpoint: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces` } },
      },
      { accessLog: logFile },
    );
    await g.get('/x', { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    await g.close(); // flushes the batch
    collector.close();
    assert.equal(posts.length >= 1, true, 'the collector got the spans');
    assert.equal(posts[0]!.url, '/v1/traces');
    assert.match(posts[0]!.body, /edge-test/);
    const line = JSON.parse(readFileSync(logFile, 'utf8').trim().split('\n').at(-1)!) as { trace_id?: string };
    assert.equal(line.trace_id, CLIENT_TRACE);
  });
});
