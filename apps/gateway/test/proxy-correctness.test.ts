import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { createServer, type IncomingMessage } from 'node:http';
import { after } from 'node:test';
import { eventually, gateway, sleep, type RunningGateway } from './harness.ts';
import { RawUpstream, rawExchange, statusOf } from './raw-upstream.ts';

const port = (g: RunningGateway): number => (g.gw.publicApp.server.address() as AddressInfo).port;
const bodyOf = (raw: string): string => raw.slice(raw.indexOf('\r\n\r\n') + 4);

function post(target: string, body: string): string {
  return `POST ${target} HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

async function policyGateway(up: RawUpstream): Promise<RunningGateway> {
  return gateway({
    clusters: [{ name: 'api', hosts: [up.host] }],
    routes: [
      {
        name: 'checkout',
        match: { path: '/api/checkout' },
        cluster: 'api',
        max_request_body_bytes: 16,
        rate_limit: { token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '60s' } },
      },
      { name: 'rest', match: { prefix: '/' }, cluster: 'api' },
    ],
  });
}

describe('proxy correctness: the path that is routed is the path the upstream gets', () => {
  it('no spelling of /api/checkout gets past its body limit and rate limit (./, ../, %2e, %2E%2e, \\, //, %2f, %63)', async () => {
    const up = await new RawUpstream().start();
    const g = await policyGateway(up);
    const big = 'x'.repeat(100);
    const spellings = ['/api/./checkout', '/api/x/../checkout', '/api/%2e/checkout', '/api/%2E%2e/api/checkout', '/api\\checkout', '/api//checkout', '/api%2fcheckout', '/api/%2Fcheckout', '/api/%63heckout'];
    for (const s of spellings) {
      const raw = await rawExchange(port(g), post(s, big));
      const status = statusOf(raw);
      assert.ok(status === 413 || status === 400, `${s}: ${status} ${bodyOf(raw)}`);
      if (status === 400) assert.match(raw, /content-type: text\/plain/i);
    }
    assert.equal(up.requests.length, 0, 'nothing reached the upstream');
    // The rate limit is shared by every spelling too: one token, then 429 however it is written.
    assert.equal(statusOf(await rawExchange(port(g), post('/api/checkout', 'ok'))), 200);
    assert.equal(statusOf(await rawExchange(port(g), post('/api/./checkout', 'ok'))), 429);
    assert.equal(statusOf(await rawExchange(port(g), post('/api//checkout', 'ok'))), 429);
    assert.deepEqual(up.requests.map(r => r.target), ['/api/checkout']);
  });

  it('forwards the canonical path, and path and query bytes otherwise exactly as sent', async () => {
    const up = await new RawUpstream().start();
    const g = await policyGateway(up);
    const cases: [string, string][] = [
      ['/u/./x/../y', '/u/y'],
      ['//a//b', '/a/b'],
      ['/a{b}c`d|e', '/a{b}c`d|e'],
      ['/q?a=%2F..&b={x}&c=/./', '/q?a=%2F..&b={x}&c=/./'],
      ['/%7Euser/%41%2b', '/~user/A%2b'],
    ];
    for (const [sent, want] of cases) {
      const raw = await rawExchange(port(g), `GET ${sent} HTTP/1.1\r\nHost: a\r\n\r\n`);
      assert.equal(statusOf(raw), 200, `${sent}: ${raw}`);
      assert.equal(up.requests.at(-1)!.target, want, sent);
    }
  });

  it('refusals are plain-text local replies with a flag, never a framework JSON error', async () => {
    const up = await new RawUpstream().start();
    const g = await policyGateway(up);
    for (const [sent, reason] of [
      ['/a%zz', 'invalid percent-encoding in the request path'],
      ['/a%00b', 'NUL in the request path'],
      ['/a\\b', 'backslash in the request path'],
    ]) {
      const raw = await rawExchange(port(g), `GET ${sent} HTTP/1.1\r\nHost: a\r\n\r\n`);
      assert.equal(statusOf(raw), 400);
      assert.equal(bodyOf(raw), `bad request: ${reason}`);
      assert.match(raw, /content-type: text\/plain/i);
    }
    const malformed = await rawExchange(port(g), 'GET / HTTP/1.1\r\nHost: a\r\nBad Header Line\r\n\r\n');
    assert.equal(statusOf(malformed), 400);
    assert.match(bodyOf(malformed), /^bad request: HPE_/);
    assert.doesNotMatch(malformed, /"statusCode"/);
    assert.equal(up.requests.length, 0);
    assert.match((await g.adminGet('/stats/prometheus')).text, /brownout_local_replies_total\{route="-",flag="DPE"\} [4-9]/);
  });

  it('forwards bodies on GET (and chunked), and every method token Node accepts', async () => {
    const up = await new RawUpstream().start();
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [up.host] }],
      routes: [
        { name: 'gets-only', match: { prefix: '/only-get', methods: ['GET'] }, cluster: 'api' },
        { name: 'rest', match: { prefix: '/r' }, cluster: 'api' },
      ],
    });
    const json = '{"q":"abc"}\n';
    let raw = await rawExchange(port(g), `GET /r/search HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`);
    assert.equal(statusOf(raw), 200);
    let seen = up.requests.at(-1)!;
    assert.equal(seen.body.toString(), json);
    assert.equal(up.header(seen, 'content-length'), String(json.length));
    raw = await rawExchange(port(g), 'GET /r/chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    assert.equal(statusOf(raw), 200);
    assert.equal(up.requests.at(-1)!.body.toString(), 'abc');
    for (const m of ['PURGE', 'PROPFIND', 'MKCOL', 'REPORT', 'QUERY', 'LOCK']) {
      raw = await rawExchange(port(g), `${m} /r/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi`);
      assert.equal(statusOf(raw), 200, `${m}: ${raw}`);
      seen = up.requests.at(-1)!;
      assert.equal(seen.method, m);
      assert.equal(seen.body.toString(), 'hi', `${m} body`);
    }
    raw = await rawExchange(port(g), 'PURGE /only-get/x HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(statusOf(raw), 404, 'a route method list still restricts');
    assert.equal(bodyOf(raw), 'no route');
  });

  it('accepts absolute-form targets: routes on the path, the authority becomes Host', async () => {
    const up = await new RawUpstream().start();
    const g = await policyGateway(up);
    const raw = await rawExchange(port(g), 'GET http://other.example/u?x=1 HTTP/1.1\r\nHost: a.example\r\n\r\n');
    assert.equal(statusOf(raw), 200, raw);
    const seen = up.requests.at(-1)!;
    assert.equal(seen.target, '/u?x=1');
    assert.equal(up.header(seen, 'host'), 'other.example');
  });

  it('keeps the upstream connection across HEAD requests', async () => {
    const up = await new RawUpstream().start();
    up.respond = () => 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 11\r\n\r\n';
    const g = await policyGateway(up);
    for (let i = 0; i < 5; i++) {
      const r = await g.get(`/h${i}`, {}, 'HEAD');
      assert.equal(r.status, 200);
    }
    assert.equal(up.requests.length, 5);
    assert.equal(up.connections, 1, 'five HEADs on one upstream connection');
  });

  it('sets x-forwarded-proto itself and drops client forwarded headers unless the peer is a trusted proxy', async () => {
    const up = await new RawUpstream().start();
    const spoof = 'X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nForwarded: for=6.6.6.6;proto=https\r\n';
    const untrusted = await policyGateway(up);
    await rawExchange(port(untrusted), `GET /f HTTP/1.1\r\nHost: a\r\n${spoof}\r\n`);
    let seen = up.requests.at(-1)!;
    assert.equal(up.header(seen, 'x-forwarded-proto'), 'http');
    assert.equal(up.header(seen, 'x-forwarded-host'), undefined);
    assert.equal(up.header(seen, 'forwarded'), undefined);
    const trusted = await gateway({ listener: { trusted_proxies: ['127.0.0.0/8'] }, clusters: [{ name: 'api', hosts: [up.host] }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    await rawExchange(port(trusted), `GET /f HTTP/1.1\r\nHost: a\r\n${spoof}\r\n`);
    seen = up.requests.at(-1)!;
    assert.equal(up.header(seen, 'x-forwarded-proto'), 'https');
    assert.equal(up.header(seen, 'x-forwarded-host'), 'evil.example');
    assert.equal(up.header(seen, 'forwarded'), 'for=6.6.6.6;proto=https');
  });

  it('streams bodies where buffer_request_body is false: the upstream starts before the upload ends, the limit still holds, no retry', async () => {
    const seen: { path: string; firstChunkAt: number; body: string; aborted: boolean }[] = [];
    const up = createServer((req: IncomingMessage, res) => {
      const r = { path: req.url ?? '', firstChunkAt: -1, body: '', aborted: false };
      seen.push(r);
      req.on('data', (d: Buffer) => {
        if (r.firstChunkAt < 0) r.firstChunkAt = performance.now();
        r.body += d.toString();
      });
      req.on('error', () => (r.aborted = true));
      req.on('aborted', () => (r.aborted = true));
      req.on('end', () => {
        res.writeHead(req.url?.startsWith('/fail') ? 503 : 200, { 'content-length': '2' }).end('ok');
      });
    });
    await new Promise<void>(r => up.listen(0, '127.0.0.1', r));
    after(() => up.close());
    const host = `127.0.0.1:${(up.address() as AddressInfo).port}`;
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [host], outlier_detection: { consecutive_5xx: 1, consecutive_local_origin_failure: 1, max_ejection_percent: 100 } }],
      routes: [
        { name: 'stream', match: { prefix: '/stream' }, cluster: 'api', buffer_request_body: false, max_request_body_bytes: 64 },
        { name: 'fail', match: { prefix: '/fail' }, cluster: 'api', buffer_request_body: false, retry_policy: { retry_on: '5xx', num_retries: 2, retry_non_idempotent: true } },
        { name: 'buffered', match: { prefix: '/buffered' }, cluster: 'api' },
      ],
    });
    const slowUpload = async (path: string): Promise<{ seenEarly: boolean; raw: string }> => {
      const s = connect(port(g), '127.0.0.1');
      let raw = '';
      s.on('data', d => (raw += d.toString()));
      await new Promise(r => s.on('connect', r));
      const before = seen.length;
      s.write(`POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello`);
      await sleep(300);
      const seenEarly = seen.length > before && seen.at(-1)!.firstChunkAt > 0;
      s.write('world');
      await eventually(() => raw.includes('\r\n\r\nok'), 2_000, 'the answer');
      s.destroy();
      return { seenEarly, raw };
    };
    const streamed = await slowUpload('/stream/a');
    assert.equal(streamed.seenEarly, true, 'the upstream had the first half while the client was still uploading');
    assert.equal(seen.at(-1)!.body, 'helloworld');
    const buffered = await slowUpload('/buffered/a');
    assert.equal(buffered.seenEarly, false, 'a buffered body reaches the upstream only once complete');
    assert.equal(seen.at(-1)!.body, 'helloworld', 'two chunks copied into the one preallocated buffer');
    // The limit holds while streaming (chunked, so no length to check up front).
    const big = 'y'.repeat(100);
    const over = await rawExchange(port(g), `POST /stream/big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`);
    assert.equal(statusOf(over), 413);
    // No retry for a streamed body: the first answer is the answer.
    const fail = await rawExchange(port(g), post('/fail/x', 'data'));
    assert.equal(statusOf(fail), 503);
    assert.match(fail, /x-brownout-attempt-count: 1/);
    const c = (await g.adminGet('/clusters')).json<{ clusters: { hosts: { ejected: boolean }[] }[] }>();
    assert.equal(c.clusters[0]!.hosts[0]!.ejected, true, 'the 503 is the upstream\'s (consecutive_5xx: 1)');
  });
});

