import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfigInput } from '@brownout/core/config';
import { eventually, gateway, type RunningGateway } from './harness.ts';
import { EchoServer, EchoClient, collectStream, echoClient, grpc, serverStream, unary, type Echo, type Msg } from './grpc-echo.ts';
import { TestCa } from './test-ca.ts';

// gRPC through the gateway (issue 26): real grpc-js clients and servers, h2c on both sides. Each
// test starts its own gateway (the harness closes one when the test that made it ends).

type Route = NonNullable<GatewayConfigInput['routes']>[number];

type Cluster = GatewayConfigInput['clusters'][number];

async function fleet(servers: EchoServer[], route: Partial<Route> = {}, cluster: Partial<Cluster> = {}, accessLog?: string): Promise<{ g: RunningGateway; client: Echo }> {
  const g = await gateway(
    {
      listener: { codec_type: 'HTTP2' },
      clusters: [{ name: 'echo', hosts: servers.map(s => `127.0.0.1:${s.port}`), http2_protocol_options: {}, ...cluster }],
      routes: [{ name: 'echo', match: { prefix: '/brownout.test.Echo/' }, cluster: 'echo', ...route }],
    },
    accessLog === undefined ? {} : { accessLog },
  );
  const client = echoClient(new URL(g.url).host);
  // After the test that made them (the harness closes the gateway first).
  after(async () => {
    client.close();
    for (const s of servers) await s.stop();
  });
  return { g, client };
}


describe('gRPC through the gateway', { timeout: 60_000 }, () => {
  it('unary: the answer, metadata in, trailers (custom and -bin) out, byte for byte; the access log has the gRPC status', async () => {
    const up = await new EchoServer('up').start();
    const log = join(mkdtempSync(join(tmpdir(), 'brownout-grpc-')), 'access.log');
    const { client } = await fleet([up], {}, {}, log);
    const md = new grpc.Metadata();
    md.set('x-tag', 'hello');
    md.set('x-bin-bin', Buffer.from([0, 1, 2, 255]));
    const r = await unary(client, { text: 'hi', n: 7 }, md);
    assert.equal(r.err, undefined, r.err?.message);
    assert.deepEqual(r.res, { text: 'up: hi', n: 7 });
    const trailers = r.trailers;
    assert.ok(trailers, 'trailers arrived');
    assert.equal(trailers.get('x-served-by')[0], 'up');
    assert.equal(trailers.get('x-tag-echo')[0], 'hello');
    assert.deepEqual(trailers.get('x-bin-echo-bin')[0], Buffer.from([0, 1, 2, 255]));
    up.behaviour.failNext.push(grpc.status.NOT_FOUND);
    assert.equal((await unary(client, { text: 'gone', n: 1 })).err?.code, grpc.status.NOT_FOUND);
    await eventually(() => existsSync(log) && readFileSync(log, 'utf8').split('\n').length > 2, 3_000, 'the access log written');
    const lines = readFileSync(log, 'utf8').trim().split('\n').map(l => JSON.parse(l) as { status: number; grpc_status?: number });
    assert.deepEqual(lines.map(l => [l.status, l.grpc_status]), [[200, 0], [200, 5]]);
  });

  it('server streaming, client streaming and bidirectional calls (a streaming route: buffer_request_body false)', async () => {
    const up = await new EchoServer('up').start();
    const { client } = await fleet([up], { buffer_request_body: false });
    const streamed = await collectStream(client, { text: 's', n: 50 });
    assert.equal(streamed.code, 0);
    assert.equal(streamed.messages.length, 50);
    assert.deepEqual(streamed.messages.at(-1), { text: 's', n: 49 });

    const summed = await new Promise<Msg>((resolve, reject) => {
      const c = (client.ClientStream as (cb: (e: grpc.ServiceError | null, r?: Msg) => void) => grpc.ClientWritableStream<Msg>)((e, r) => {
        if (e) reject(e);
        else resolve(r!);
      });
      for (let i = 1; i <= 10; i++) c.write({ text: String(i % 10), n: i });
      c.end();
    });
    assert.deepEqual(summed, { text: '1234567890', n: 55 });

    // Each answer arrives before the next message is sent: nothing on the way buffers the stream.
    const bidi = (client.Bidi as () => grpc.ClientDuplexStream<Msg, Msg>)();
    const answers: Msg[] = [];
    for (let i = 0; i < 5; i++) {
      const answered = new Promise<Msg>(resolve => bidi.once('data', resolve));
      bidi.write({ text: `m${i}`, n: i });
      answers.push(await answered);
    }
    bidi.end();
    await new Promise(r => bidi.on('end', r).resume());
    assert.deepEqual(answers.map(a => a.text), ['echo m0', 'echo m1', 'echo m2', 'echo m3', 'echo m4']);
  });

  it('retry_on unavailable: UNAVAILABLE then OK is retried once and the client sees OK; INVALID_ARGUMENT is not retried', async () => {
    const up = await new EchoServer('up').start();
    const { client } = await fleet([up], { retry_policy: { retry_on: 'unavailable', num_retries: 2 } });
    up.behaviour.failNext.push(grpc.status.UNAVAILABLE);
    const r = await unary(client, { text: 'again', n: 1 });
    assert.equal(r.err, undefined, r.err?.message);
    assert.deepEqual(r.res, { text: 'up: again', n: 1 });
    assert.equal(up.calls, 2, 'one retry');
    up.behaviour.failNext.push(grpc.status.INVALID_ARGUMENT);
    const bad = await unary(client, { text: 'bad', n: 1 });
    assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(up.calls, 3, 'a client error is not retried');
  });

  it('a host answering UNAVAILABLE over and over is ejected; one answering INVALID_ARGUMENT is not', async () => {
    const good = await new EchoServer('good').start();
    const bad = await new EchoServer('bad').start();
    const { g, client } = await fleet([good, bad], {}, { outlier_detection: { consecutive_5xx: 3, interval: '100ms', base_ejection_time: '30s', max_ejection_percent: 50 } });
    bad.behaviour.failNext.push(...Array<grpc.status>(1000).fill(grpc.status.UNAVAILABLE));
    for (let i = 0; i < 20; i++) await unary(client, { text: 'x', n: i });
    const before = bad.calls;
    for (let i = 0; i < 20; i++) {
      const r = await unary(client, { text: 'x', n: i });
      assert.equal(r.err, undefined, 'served by the good host once the bad one is out');
    }
    assert.equal(bad.calls, before, 'the UNAVAILABLE host is out of rotation');
    const clusters = (await g.adminGet('/clusters?format=json')).text;
    assert.match(clusters, /"ejected":true/, 'the admin API shows the ejection');

    // A host blamed for the caller's bad arguments would be a local error charged to an upstream.
    const picky = await new EchoServer('picky').start();
    const other = await new EchoServer('other').start();
    const f2 = await fleet([picky, other], {}, { outlier_detection: { consecutive_5xx: 3, interval: '100ms', base_ejection_time: '30s', max_ejection_percent: 50 } });
    picky.behaviour.failNext.push(...Array<grpc.status>(1000).fill(grpc.status.INVALID_ARGUMENT));
    for (let i = 0; i < 40; i++) await unary(f2.client, { text: 'x', n: i });
    assert.ok(picky.calls >= 15, `still in rotation (${picky.calls} of 40 calls)`);
  });

  it('a rejected route, a rate limit and no route answer with real gRPC statuses and the reason, never an HTTP body', async () => {
    const up = await new EchoServer('up').start();
    const { g, client } = await fleet([up], { degradation: { mode: 'reject' }, rate_limit: { token_bucket: { max_tokens: 3, tokens_per_fill: 1, fill_interval: '1m' } } });
    const put = await g.adminPut('/switches', { routes: { echo: { mode: 'reject', reason: 'incident', actor: 'ana' } } });
    assert.equal(put.status, 200, put.text);
    const rejected = await unary(client, { text: 'x', n: 1 });
    const err = rejected.err;
    assert.ok(err, 'the call failed');
    assert.equal(err.code, grpc.status.UNAVAILABLE, err.message);
    assert.match(err.details, /echo is degraded/);
    assert.equal(up.calls, 0);
    await g.adminPut('/switches', { routes: {} }); // the rejected call took one of the three tokens
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await unary(client, { text: 'x', n: i })).err?.code ?? 0);
    assert.deepEqual(statuses, [0, 0, grpc.status.RESOURCE_EXHAUSTED], 'rate limited: RESOURCE_EXHAUSTED');
    const unknown = echoClient(new URL(g.url).host);
    const noRoute = await new Promise<grpc.ServiceError | null>(resolve => {
      unknown.makeUnaryRequest('/other.Service/Call', (x: Buffer) => x, (x: Buffer) => x, Buffer.alloc(0), e => { resolve(e); });
    });
    assert.equal(noRoute?.code, grpc.status.UNIMPLEMENTED, 'no route: UNIMPLEMENTED');
    unknown.close();
    // Metrics count the gRPC statuses the clients got, and count the failures as failures.
    const scrape = (await g.adminGet('/stats/prometheus')).text;
    assert.match(scrape, /brownout_grpc_responses_total\{route="echo",grpc_status="UNAVAILABLE"\} 1/);
    assert.match(scrape, /brownout_grpc_responses_total\{route="echo",grpc_status="RESOURCE_EXHAUSTED"\} 1/);
    assert.match(scrape, /brownout_grpc_responses_total\{route="echo",grpc_status="OK"\} 2/);
    assert.match(scrape, /brownout_requests_total\{route="echo",status_class="5xx"\} 1/);
    // What the console's fleet view and charts read: the failures counted as failures there too.
    const { routes } = (await g.adminGet('/routes')).json<{ routes: { name: string; requests: Record<string, number> }[] }>();
    const echo = routes.find(r => r.name === 'echo')!;
    assert.equal(echo.requests['5xx'], 1, 'UNAVAILABLE (the rejected call) counts as a failure');
    assert.equal(echo.requests['4xx'], 1, 'RESOURCE_EXHAUSTED (the rate limit) as the client\'s 429');
    assert.equal(echo.requests['2xx'], 2);
  });

  it('an open breaker and no healthy host answer UNAVAILABLE with the reason; fallback_service sends the call to another gRPC cluster', async () => {
    const bad = await new EchoServer('bad').start();
    const spare = await new EchoServer('spare').start();
    bad.behaviour.failNext = Array.from({ length: 10 }, () => grpc.status.UNAVAILABLE);
    const g = await gateway({
      listener: { codec_type: 'HTTP2' },
      clusters: [
        { name: 'echo', hosts: [`127.0.0.1:${bad.port}`], http2_protocol_options: {} },
        { name: 'spare', hosts: [`127.0.0.1:${spare.port}`], http2_protocol_options: {} },
      ],
      routes: [{ name: 'echo', match: { prefix: '/brownout.test.Echo/' }, cluster: 'echo', circuit_breaker: { consecutive_failures: 2, open_duration: '30s' }, degradation: { mode: 'fallback_service', fallback_cluster: 'spare', triggers: { breaker_open: false, no_healthy_host: false, upstream_failure: false } } }],
    });
    const client = echoClient(new URL(g.url).host);
    after(async () => {
      client.close();
      await bad.stop();
      await spare.stop();
    });
    for (let i = 0; i < 2; i++) assert.equal((await unary(client, { text: 'x', n: i })).err?.code, grpc.status.UNAVAILABLE);
    const calls = bad.calls;
    const open = await unary(client, { text: 'x', n: 3 });
    assert.equal(open.err?.code, grpc.status.UNAVAILABLE);
    assert.equal(open.err.details, 'circuit breaker open');
    assert.equal(bad.calls, calls, 'the open breaker kept the call from the host');
    assert.equal((await g.adminPut('/switches', { routes: { echo: { mode: 'fallback_service', reason: 'primary down', actor: 'ana' } } })).status, 200);
    const served = await unary(client, { text: 'x', n: 4 });
    assert.equal(served.err, undefined, served.err?.message);
    assert.deepEqual(served.res, { text: 'spare: x', n: 4 });

    const lone = await new EchoServer('lone').start();
    lone.behaviour.failNext = [grpc.status.UNAVAILABLE];
    const f = await fleet([lone], {}, { healthy_panic_threshold: 0, outlier_detection: { consecutive_5xx: 1, interval: '100ms', base_ejection_time: '30s', max_ejection_percent: 100 } });
    assert.equal((await unary(f.client, { text: 'x', n: 1 })).err?.code, grpc.status.UNAVAILABLE);
    const none = await unary(f.client, { text: 'x', n: 2 });
    assert.equal(none.err?.code, grpc.status.UNAVAILABLE);
    assert.equal(none.err.details, 'no healthy upstream');
    assert.equal(lone.calls, 1);
  });

  it('a stream outlives the route timeout when its messages keep coming; a client cancel reaches the upstream', async () => {
    const up = await new EchoServer('up').start();
    const { client } = await fleet([up], { buffer_request_body: false, timeout: '500ms' });
    up.behaviour.streamGapMs = 100;
    const long = await collectStream(client, { text: 'long', n: 15 });
    assert.equal(long.code, 0);
    assert.equal(long.messages.length, 15);
    assert.ok(long.ms >= 1_400, 'it ran three times the route timeout');

    up.behaviour.streamGapMs = 50;
    const s = serverStream(client, { text: 'cancel me', n: 1_000 });
    s.on('error', () => undefined);
    await new Promise(r => s.once('data', r));
    s.cancel();
    await eventually(() => up.cancelled === 1, 2_000, 'the upstream saw the cancel');
  });

  it('max_stream_duration (Envoy\'s): a stream still open when it runs out is reset and the upstream cancelled; grpc_timeout_header_max makes the client\'s capped grpc-timeout the bound', async () => {
    const up = await new EchoServer('up').start();
    const { client } = await fleet([up], { buffer_request_body: false, timeout: '10s', max_stream_duration: { max_stream_duration: '600ms' } });
    const short = await collectStream(client, { text: 's', n: 3 });
    assert.deepEqual({ messages: short.messages.length, code: short.code }, { messages: 3, code: 0 }, 'a short stream completes');
    up.behaviour.streamGapMs = 100;
    const cut = await collectStream(client, { text: 's', n: 100 });
    assert.notEqual(cut.code, 0, 'the long stream was cut');
    assert.ok(cut.ms >= 500 && cut.ms < 3_000, `cut at ${cut.ms} ms`);
    assert.ok(cut.messages.length >= 3 && cut.messages.length < 20, `${cut.messages.length} messages before the cut`);
    await eventually(() => up.cancelled === 1, 3_000, 'the upstream saw its side cancelled');

    const capped = await fleet([up], { buffer_request_body: false, timeout: '10s', max_stream_duration: { grpc_timeout_header_max: '400ms' } });
    const r = await collectStream(capped.client, { text: 's', n: 100 }, { deadline: Date.now() + 5_000 });
    assert.notEqual(r.code, 0);
    assert.ok(r.ms < 2_500, `the capped grpc-timeout cut the stream at ${r.ms} ms, not the client's 5 s`);
    assert.ok(up.lastDeadlineMs <= 400, `the upstream was sent the capped deadline: ${up.lastDeadlineMs} ms`);
  });

  it('grpc-timeout: the client\'s deadline bounds the call (not the route\'s timeout) and what is left of it reaches the upstream', async () => {
    const up = await new EchoServer('up').start();
    const { client } = await fleet([up], { buffer_request_body: false, timeout: '10s' }, { outlier_detection: { consecutive_5xx: 1, consecutive_local_origin_failure: 1, interval: '100ms' } });
    up.behaviour.streamGapMs = 100;
    const t0 = Date.now();
    const err = await new Promise<grpc.ServiceError>(resolve => {
      const s = (client.ServerStream as (r: Msg, o: grpc.CallOptions) => grpc.ClientReadableStream<Msg>)({ text: 'slow', n: 100 }, { deadline: Date.now() + 600 });
      s.on('data', () => undefined);
      s.on('error', resolve);
    });
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - t0 < 2_000, 'cut at the client\'s deadline, not the route\'s 10 s');
    assert.ok(up.lastDeadlineMs > 300 && up.lastDeadlineMs <= 600, `the upstream got what was left of it: ${up.lastDeadlineMs} ms`);
    // The next call is served as usual.
    up.behaviour.streamGapMs = 0;
    const r = await unary(client, { text: 'after', n: 1 });
    assert.equal(r.err, undefined, r.err?.message);
  });

  it('default mode answers a gRPC call with its configured gRPC answer (a message, or a status), never the HTTP body; without one the call is refused with UNAVAILABLE', async () => {
    const up = await new EchoServer('up').start();
    // Msg { text: "cached", n: 3 } in protobuf: field 1 (string), field 2 (varint).
    const cached = Buffer.concat([Buffer.from([0x0a, 6]), Buffer.from('cached'), Buffer.from([0x10, 3])]).toString('base64');
    const { g, client } = await fleet([up], { degradation: { mode: 'default', default_response: { body: '{"http":"body"}', grpc: { status: 0, response_base64: cached } } } });
    const flip = (fallback: unknown) => g.adminPut('/switches', { routes: { echo: { mode: 'default', reason: 'db down', actor: 'ana' } }, ...(fallback === undefined ? {} : { fallbacks: { echo: fallback } }) });
    assert.equal((await flip(undefined)).status, 200);
    const r = await unary(client, { text: 'x', n: 1 });
    assert.equal(r.err, undefined, r.err?.message);
    assert.deepEqual(r.res, { text: 'cached', n: 3 });
    assert.equal(up.calls, 0);
    const pausedFlip = await flip({ body: '', grpc: { status: 14, message: 'catalog paused — retry in 5 min' } });
    assert.equal(pausedFlip.status, 200, pausedFlip.text);
    const paused = await unary(client, { text: 'x', n: 1 });
    assert.equal(paused.err?.code, grpc.status.UNAVAILABLE);
    assert.equal(paused.err.details, 'catalog paused — retry in 5 min', 'the message, UTF-8 intact');
    assert.equal((await flip({ body: 'only for HTTP' })).status, 200);
    const none = await unary(client, { text: 'x', n: 1 });
    assert.equal(none.err?.code, grpc.status.UNAVAILABLE);
    assert.match(none.err.details, /no fallback could answer/);
    const bad = await g.adminPut('/switches', { routes: {}, fallbacks: { echo: { grpc: { status: 14, response_base64: cached } } } });
    assert.equal(bad.status, 400, 'a response message only with status OK');
    assert.match(bad.text, /response_base64/);
  });

  it('cache: a call with a buffered request is kept by method and request message when it ends OK, and replayed when the upstream fails or the route is switched to cache; failures and streamed requests are never kept', async () => {
    const up = await new EchoServer('up').start();
    const { g, client } = await fleet([up], { degradation: { mode: 'cache', cache: { ttl: '60s', max_staleness: '60s' } } });
    const a = await unary(client, { text: 'a', n: 1 });
    assert.deepEqual(a.res, { text: 'up: a', n: 1 });
    assert.deepEqual((await unary(client, { text: 'b', n: 2 })).res, { text: 'up: b', n: 2 });
    up.behaviour.failNext = [grpc.status.UNAVAILABLE];
    assert.equal((await unary(client, { text: 'failed', n: 0 })).err?.code, grpc.status.UNAVAILABLE, 'nothing kept to replace it');
    const streamOf = async (req: Msg) => {
      const { messages, code } = await collectStream(client, req);
      return { messages, code };
    };
    assert.equal((await streamOf({ text: 'stream', n: 2 })).code, 0);
    up.behaviour.streamFailAfter = 1;
    assert.equal((await streamOf({ text: 'broken', n: 3 })).code, grpc.status.UNAVAILABLE, 'failed in its trailers, after a message');
    up.behaviour.streamFailAfter = -1;

    // The upstream fails: the kept answer for that very request message replaces the failure.
    up.behaviour.failNext = [grpc.status.UNAVAILABLE];
    const stale = await unary(client, { text: 'a', n: 1 });
    assert.equal(stale.err, undefined, stale.err?.message);
    assert.deepEqual(stale.res, { text: 'up: a', n: 1 });

    // Switched to cache: answered from what was kept, the upstream not called.
    assert.equal((await g.adminPut('/switches', { routes: { echo: { mode: 'cache', reason: 'db down', actor: 'ana' } } })).status, 200);
    const calls = up.calls;
    assert.deepEqual((await unary(client, { text: 'b', n: 2 })).res, { text: 'up: b', n: 2 });
    assert.deepEqual((await unary(client, { text: 'a', n: 1 })).res, { text: 'up: a', n: 1 });
    assert.deepEqual(await streamOf({ text: 'stream', n: 2 }), { messages: [{ text: 'stream', n: 0 }, { text: 'stream', n: 1 }], code: 0 }, 'a server stream replayed whole');
    const other = await unary(client, { text: 'a', n: 2 });
    assert.equal(other.err?.code, grpc.status.UNAVAILABLE, 'another request message is another entry');
    assert.match(other.err.details, /no fallback could answer/);
    assert.equal((await unary(client, { text: 'failed', n: 0 })).err?.code, grpc.status.UNAVAILABLE, 'a failed call was not kept');
    assert.equal((await streamOf({ text: 'broken', n: 3 })).code, grpc.status.UNAVAILABLE, 'a stream that failed in its trailers was not kept');
    assert.equal(up.calls, calls, 'the upstream was not called');

    // A route that streams requests keeps nothing, and says why.
    const up2 = await new EchoServer('up2').start();
    const streamed = await fleet([up2], { buffer_request_body: false, degradation: { mode: 'cache' } });
    assert.equal((await unary(streamed.client, { text: 'a', n: 1 })).err, undefined);
    assert.equal((await streamed.g.adminPut('/switches', { routes: { echo: { mode: 'cache', reason: 'db down', actor: 'ana' } } })).status, 200);
    const refused = await unary(streamed.client, { text: 'a', n: 1 });
    assert.equal(refused.err?.code, grpc.status.UNAVAILABLE);
    assert.match(refused.err.details, /buffer_request_body/);
  });

  it('grpc_health_check: a NOT_SERVING host leaves rotation and comes back when SERVING; a host without the health service is unhealthy', async () => {
    const a = await new EchoServer('a').start();
    const b = await new EchoServer('b').start();
    const mute = await new EchoServer('mute', false).start();
    const hc = { timeout: '150ms', interval: '200ms', no_traffic_interval: '200ms', unhealthy_threshold: 1, healthy_threshold: 1, grpc_health_check: { service_name: 'brownout.test.Echo' } };
    a.behaviour.health['brownout.test.Echo'] = 'SERVING';
    b.behaviour.health['brownout.test.Echo'] = 'NOT_SERVING';
    const { client } = await fleet([a, b, mute], {}, { health_checks: [hc], healthy_panic_threshold: 0 });
    await eventually(() => a.healthChecks > 1 && b.healthChecks > 1, 3_000, 'checked');
    await new Promise(r => setTimeout(r, 300));
    const before = { a: a.calls, b: b.calls, mute: mute.calls };
    for (let i = 0; i < 12; i++) assert.equal((await unary(client, { text: 'x', n: i })).err, undefined);
    assert.equal(a.calls - before.a, 12, 'only the SERVING host gets calls');
    assert.equal(b.calls, before.b);
    assert.equal(mute.calls, before.mute, 'no health service (UNIMPLEMENTED): unhealthy');
    b.behaviour.health['brownout.test.Echo'] = 'SERVING';
    await eventually(async () => {
      await unary(client, { text: 'y', n: 0 });
      return b.calls > before.b;
    }, 3_000, 'b back in rotation once SERVING');
  });

  it('over TLS: h2 chosen by ALPN (the listener offers h2 and HTTP/1.1), trailers intact', async () => {
    const ca = new TestCa('grpc-ca');
    const leaf = ca.issue('gateway');
    const up = await new EchoServer('up').start();
    const g = await gateway({
      listener: { tls: { certificate_chain: { filename: leaf.cert }, private_key: { filename: leaf.key } } },
      clusters: [{ name: 'echo', hosts: [`127.0.0.1:${up.port}`], http2_protocol_options: {} }],
      routes: [{ name: 'echo', match: { prefix: '/' }, cluster: 'echo' }],
    });
    const client = new EchoClient(`localhost:${new URL(g.url).port}`, grpc.credentials.createSsl(ca.pem('grpc-ca.pem'))) as Echo;
    after(async () => {
      client.close();
      await up.stop();
    });
    const r = await unary(client, { text: 'tls', n: 2 });
    assert.equal(r.err, undefined, r.err?.message);
    assert.deepEqual(r.res, { text: 'up: tls', n: 2 });
    assert.equal(r.trailers?.get('x-served-by')[0], 'up');
  });

  it('a client that stops reading a stream holds the upstream back: the gateway does not buffer the stream', async () => {
    const up = await new EchoServer('up').start();
    const { client } = await fleet([up], { buffer_request_body: false, timeout: '30s' });
    up.behaviour.payloadBytes = 64 << 10;
    const s = serverStream(client, { text: '', n: 100_000 });
    s.on('error', () => undefined);
    await new Promise(r => s.once('data', r));
    s.pause();
    await new Promise(r => setTimeout(r, 1_500));
    const held = up.streamed;
    await new Promise(r => setTimeout(r, 500));
    // Flow-control windows and stream buffers on the way hold a few MiB at most; without
    // backpressure the upstream would have written hundreds of MiB in those two seconds.
    assert.ok(held * 64 < 16 * 1024, `the upstream wrote ${held} messages (${held * 64} KiB) while the client read none`);
    assert.ok(up.streamed - held < 4, `and it stayed held: ${up.streamed - held} more`);
    s.resume();
    await new Promise(r => s.once('data', r));
    s.cancel();
    await eventually(() => up.cancelled === 1, 2_000, 'the upstream saw the cancel');
  });

  it('an upstream that stops reading an upload holds the client back: the gateway does not buffer the client stream', async () => {
    const up = await new EchoServer('up').start();
    const { client } = await fleet([up], { buffer_request_body: false, timeout: '30s', max_request_body_bytes: 1 << 30 });
    up.behaviour.holdUploads = true;
    let answer: Msg | undefined;
    const call = (client.ClientStream as (cb: (e: grpc.ServiceError | null, r?: Msg) => void) => grpc.ClientWritableStream<Msg>)((e, r) => {
      answer = e ? undefined : r;
    });
    const text = 'x'.repeat(64 << 10);
    let accepted = 0;
    let writing = true;
    // Write as fast as the call takes messages (each write's callback: handed to the transport).
    const pump = async (): Promise<void> => {
      while (writing && accepted < 2_000) {
        await new Promise<void>(r => call.write({ text, n: 1 }, () => { r(); }));
        accepted++;
      }
    };
    const pumping = pump();
    await new Promise(r => setTimeout(r, 1_500));
    const held = accepted;
    await new Promise(r => setTimeout(r, 500));
    // Flow-control windows and stream buffers on the way hold a few MiB at most; without
    // backpressure the client would have pushed 2,000 × 64 KiB (125 MiB) into the gateway.
    assert.ok(held * 64 < 16 * 1024, `the client handed over ${held} messages (${held * 64} KiB) while the upstream read none`);
    assert.ok(accepted - held < 4, `and it stayed held: ${accepted - held} more`);
    assert.equal(up.uploaded, 0);
    writing = false;
    up.resumeUploads();
    await pumping;
    call.end();
    await eventually(() => answer !== undefined, 5_000, 'the answer after the upload');
    assert.equal(answer?.n, accepted, 'every message arrived once the upstream read again');
  });

  it('an upload over the route\'s max_request_body_bytes ends the call with RESOURCE_EXHAUSTED, and the upstream sees it cancelled', async () => {
    const up = await new EchoServer('up').start();
    const { client } = await fleet([up], { buffer_request_body: false, max_request_body_bytes: 200_000 });
    const outcome = new Promise<grpc.ServiceError | null>(resolve => {
      const call = (client.ClientStream as (cb: (e: grpc.ServiceError | null) => void) => grpc.ClientWritableStream<Msg>)(e => { resolve(e); });
      for (let i = 0; i < 8; i++) call.write({ text: 'x'.repeat(64 << 10), n: 1 });
      call.end();
    });
    const err = await outcome;
    assert.equal(err?.code, grpc.status.RESOURCE_EXHAUSTED, err?.message);
    await eventually(() => up.cancelled === 1, 2_000, 'the upstream saw the call cancelled');
    // The gateway goes on serving (this used to leave its upstream session spinning: streamed-body.ts).
    const next = await unary(client, { text: 'after', n: 1 });
    assert.equal(next.err, undefined, next.err?.message);
  });

  it('a stream that fails in its trailers (after messages) counts against its host: ejected after consecutive failures', async () => {
    const good = await new EchoServer('good').start();
    const bad = await new EchoServer('bad').start();
    bad.behaviour.streamFailAfter = 1;
    const { client } = await fleet([good, bad], { buffer_request_body: false }, { outlier_detection: { consecutive_5xx: 3, interval: '100ms', base_ejection_time: '30s', max_ejection_percent: 50 } });
    const run = (): Promise<string> =>
      new Promise(resolve => {
        const s = serverStream(client, { text: 'm', n: 3 });
        let n = 0;
        s.on('data', () => n++);
        s.on('error', (e: grpc.ServiceError) => { resolve(`${n} then ${grpc.status[e.code]}`); });
        s.on('end', () => { resolve(`${n} ok`); });
      });
    const outcomes: string[] = [];
    for (let i = 0; i < 12; i++) outcomes.push(await run());
    assert.ok(outcomes.includes('1 then UNAVAILABLE'), `the failure reached the client in the trailers: ${outcomes.join(', ')}`);
    const before = bad.calls;
    for (let i = 0; i < 10; i++) assert.equal(await run(), '3 ok', 'only the good host once the bad one is out');
    assert.equal(bad.calls, before, 'ejected on failures it reported only in its trailers');
  });
});
