import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { loadConfigText, parseConfig, parseSwitchDocument, toSwitchState } from './load-config.ts';

const example = readFileSync(new URL('../../../../examples/gateway.yaml', import.meta.url), 'utf8');

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.issues];
    throw e;
  }
  assert.fail('expected a ConfigError');
}

const minimal = () => ({
  clusters: [{ name: 'a', hosts: ['127.0.0.1:9000'] }],
  routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'a' }],
});

describe('config schema', () => {
  it('accepts the example config, which exercises every feature', () => {
    const cfg = loadConfigText(example);
    const products = cfg.routes.find(r => r.name === 'products')!;
    assert.equal(products.retry_policy.per_try_timeout, 800);
    assert.deepEqual(products.retry_policy.retry_back_off, { base_interval: 25, max_interval: 250, apply_to_other_hosts: false });
    assert.equal(cfg.clusters[0]!.outlier_detection!.max_ejection_time, 120_000);
    assert.equal(cfg.clusters[0]!.hosts[2]!.weight, 2);
  });

  it('accepts the demo config that `npm start` runs', () => {
    const demo = readFileSync(new URL('../../../../examples/demo.yaml', import.meta.url), 'utf8');
    const cfg = loadConfigText(demo);
    assert.deepEqual(cfg.routes.map(r => r.name), ['products', 'everything-else']);
    assert.equal(cfg.routes[0]!.degradation.fallback_cluster, 'catalog-fallback');
  });

  it("fills Envoy's defaults, including the surprising ones", () => {
    const cfg = parseConfig({ ...minimal(), clusters: [{ name: 'a', hosts: ['127.0.0.1:9000'], outlier_detection: {} }] });
    const od = cfg.clusters[0]!.outlier_detection!;
    assert.equal(od.consecutive_5xx, 5);
    assert.equal(od.interval, 10_000);
    assert.equal(od.base_ejection_time, 30_000);
    assert.equal(od.max_ejection_time, 300_000);
    assert.equal(od.max_ejection_percent, 10);
    assert.equal(od.enforcing_consecutive_gateway_failure, 0);
    // Brownout's own defaults where Envoy's leave a small cluster unprotected.
    assert.equal(od.enforcing_failure_percentage, 100);
    assert.equal(od.failure_percentage_minimum_hosts, 2);
    assert.equal(od.failure_percentage_relative_threshold, 20);
    assert.equal(od.successful_active_health_check_uneject_5xx_host, false);
    const r = cfg.routes[0]!;
    assert.equal(r.timeout, 15_000);
    assert.equal(r.retry_policy.num_retries, 1);
    assert.deepEqual(r.retry_policy.retry_on, []);
    assert.equal(cfg.clusters[0]!.healthy_panic_threshold, 50);
  });

  it('names the path and the reason of every error at once', () => {
    const issues = issuesOf(() =>
      parseConfig({
        clusters: [{ name: 'a', hosts: ['nope'], outlier_detection: { interval: 'soon', base_ejection_time: '60s', max_ejection_time: '30s' } }],
        routes: [
          { name: 'r', match: { prefix: '/' }, cluster: 'missing', timeout: '1s', retry_policy: { retry_on: '5xx,bogus', per_try_timeout: '2s' } },
        ],
      }),
    );
    const byPath = new Map(issues.map(i => [i.path, i.message]));
    assert.match(byPath.get('clusters.0.hosts.0')!, /expected "host:port"/);
    assert.match(byPath.get('clusters.0.outlier_detection.interval')!, /expected a duration/);
    assert.match(byPath.get('routes.0.retry_policy.retry_on')!, /unknown retry_on condition "bogus"/);
    assert.equal(issues.length >= 3, true);
  });

  it('bounds every duration at 24h, so no timer can overflow into a 1 ms loop', () => {
    const issues = issuesOf(() =>
      parseConfig({
        clusters: [
          {
            name: 'a',
            hosts: ['127.0.0.1:9000'],
            health_checks: [{ timeout: '1s', interval: 9_999_999_999, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/' } }],
            outlier_detection: { base_ejection_time: '99999999h' },
          },
        ],
        routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'a', timeout: '25h' }],
      }),
    );
    const byPath = new Map(issues.map(i => [i.path, i.message]));
    assert.match(byPath.get('clusters.0.health_checks.0.interval')!, /at most 24h/);
    assert.match(byPath.get('clusters.0.outlier_detection.base_ejection_time')!, /at most 24h/);
    assert.match(byPath.get('routes.0.timeout')!, /at most 24h/);
    assert.equal(parseConfig({ ...minimal(), routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'a', timeout: '24h' }] }).routes[0]!.timeout, 86_400_000);
  });

  it("accepts the seed's RED breaker as written, and validates 0 < low < high <= 1", () => {
    const seed = loadConfigText(`
clusters: [{ name: a, hosts: ["127.0.0.1:9000"] }]
routes:
  - name: r
    match: { prefix: / }
    cluster: a
    circuit_breaker:
      spec:
        type: RED                 # Rolling Exponential Decay
        rr_high_threshold: 0.5
        rr_low_threshold: 0.1
        rr_reset_interval: 30s
`);
    const b = seed.routes[0]!.circuit_breaker!;
    assert.deepEqual([b.type, b.rr_high_threshold, b.rr_low_threshold, b.open_duration, b.rr_half_life], ['RED', 0.5, 0.1, 30_000, 10_000]);
    const bad = (cb: unknown) => issuesOf(() => parseConfig({ ...minimal(), routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'a', circuit_breaker: cb }] })).map(i => i.path);
    assert.deepEqual(bad({ type: 'RED', rr_high_threshold: 0.3, rr_low_threshold: 0.3 }), ['routes.0.circuit_breaker.rr_low_threshold']);
    assert.deepEqual(bad({ type: 'RED', rr_high_threshold: 1.5 }), ['routes.0.circuit_breaker.rr_high_threshold']);
    assert.deepEqual(bad({ type: 'RED', rr_low_threshold: 0 }), ['routes.0.circuit_breaker.rr_low_threshold']);
    assert.deepEqual(bad({ rr_reset_interval: '30s' }), ['routes.0.circuit_breaker.rr_reset_interval']);
  });

  it('refuses an admin listener on the public port', () => {
    const issues = issuesOf(() => parseConfig({ ...minimal(), listener: { port: 8080 }, admin: { port: 8080 } }));
    assert.deepEqual(issues.map(i => i.path), ['admin.port']);
    assert.equal(parseConfig({ ...minimal(), listener: { port: 8080, address: '127.0.0.1' }, admin: { port: 8080, address: '127.0.0.2' } }).admin.port, 8080);
    assert.equal(issuesOf(() => parseConfig({ ...minimal(), listener: { port: 8080, address: '0.0.0.0' }, admin: { port: 8080, address: '127.0.0.1' } }))[0]!.path, 'admin.port');
  });

  it('runs cross-field checks once the shapes are valid', () => {
    const issues = issuesOf(() =>
      parseConfig({
        clusters: [{ name: 'a', hosts: ['127.0.0.1:9000', '127.0.0.1:9000'] }],
        routes: [
          { name: 'r', match: { prefix: '/' }, cluster: 'missing', timeout: '1s', retry_policy: { per_try_timeout: '2s' } },
          { name: 'r', match: { prefix: '/x' }, cluster: 'a', degradation: { mode: 'fallback_service' } },
          { name: 'd', match: { prefix: '/d' }, cluster: 'a', degradation: { mode: 'default' } },
        ],
      }),
    );
    const text = issues.map(i => `${i.path}: ${i.message}`);
    for (const expected of [
      'clusters.0.hosts.1: duplicate host 127.0.0.1:9000',
      'routes.0.cluster: unknown cluster "missing"',
      'routes.0.retry_policy.per_try_timeout: must be shorter than the route timeout (1000ms)',
      'routes.1.name: duplicate route name "r"',
      'routes.1.degradation.fallback_cluster: required when a mode is fallback_service',
      'routes.2.degradation.default_response: required when mode is default (or set it from the console)',
    ]) {
      assert.ok(text.includes(expected), `missing "${expected}" in:\n${text.join('\n')}`);
    }
  });

  it('rejects max_ejection_time below base_ejection_time', () => {
    const issues = issuesOf(() =>
      parseConfig({ ...minimal(), clusters: [{ name: 'a', hosts: ['127.0.0.1:9000'], outlier_detection: { base_ejection_time: '60s', max_ejection_time: '30s' } }] }),
    );
    assert.deepEqual(issues, [{ path: 'clusters.0.outlier_detection.max_ejection_time', message: 'cannot be smaller than base_ejection_time' }]);
  });

  it('HTTP/2, upgrades and tracing: defaults, and bad values named by field', () => {
    const cfg = parseConfig({ ...minimal(), routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'a', upgrade_configs: [{ upgrade_type: 'WebSocket' }] }] });
    assert.equal(cfg.listener.codec_type, 'AUTO');
    assert.equal(cfg.listener.http2_protocol_options.max_concurrent_streams, 100);
    assert.deepEqual(cfg.routes[0]!.upgrade_configs, [{ upgrade_type: 'websocket', enabled: true }]);
    assert.equal(cfg.tracing, undefined, 'tracing is off by default');
    const paths = issuesOf(() =>
      parseConfig({
        ...minimal(),
        listener: { codec_type: 'HTTP3', http2_protocol_options: { max_concurrent_streams: 0 } },
        clusters: [{ name: 'a', hosts: ['127.0.0.1:9000'], http2_protocol_options: { max_concurrent_streams: 70_000 } }],
        routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'a', upgrade_configs: [{ upgrade_type: 'web socket\r\n' }] }],
        tracing: { random_sampling: 101, otlp_http: { endpoint: 'file:///etc/passwd' } },
      }),
    ).map(i => i.path);
    for (const p of [
      'listener.codec_type',
      'listener.http2_protocol_options.max_concurrent_streams',
      'clusters.0.http2_protocol_options.max_concurrent_streams',
      'routes.0.upgrade_configs.0.upgrade_type',
      'tracing.random_sampling',
      'tracing.otlp_http.endpoint',
    ]) assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
  });

  it('rejects unknown fields (typos must not pass silently)', () => {
    const issues = issuesOf(() => parseConfig({ ...minimal(), routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'a', timout: '1s' }] }));
    assert.equal(issues[0]!.path, 'routes.0');
    assert.match(issues[0]!.message, /timout/);
  });

  it('reports YAML syntax errors with a line', () => {
    const issues = issuesOf(() => loadConfigText('clusters:\n  - name: a\n   bad: [\n'));
    assert.match(issues[0]!.path, /^line \d+/);
  });
});

describe('switch document schema', () => {
  it('accepts a full document and converts expiry to epoch ms', () => {
    const doc = parseSwitchDocument({
      version: 7,
      global_level: 2,
      routes: { products: { mode: 'cache', reason: 'db failover', actor: 'ana', ticket: 'https://tickets.example/INC-1', expires_at: '2026-11-22T12:00:00Z' } },
      fallbacks: { products: { status: 200, body: '[]' } },
    });
    const state = toSwitchState(doc);
    assert.equal(state.version, 7);
    assert.equal(state.routes.get('products')!.expires_at, Date.parse('2026-11-22T12:00:00Z'));
    assert.equal(doc.fallbacks.products!.headers['content-type'], undefined);
  });

  it('rejects bad payloads with the field and reason', () => {
    const issues = issuesOf(() =>
      parseSwitchDocument({ version: -1, global_level: 7, routes: { p: { mode: 'teleport', reason: '', actor: 'x', expires_at: 'tomorrow' } } }),
    );
    const paths = issues.map(i => i.path).sort();
    assert.deepEqual(paths, ['global_level', 'routes.p.expires_at', 'routes.p.mode', 'routes.p.reason', 'version']);
    assert.equal(issues.find(i => i.path === 'routes.p.reason')!.message, 'say why');
  });
});

describe('fallback responses in a switch document (what a gateway accepts from any writer)', () => {
  const withFallback = (f: Record<string, unknown>) => () => parseSwitchDocument({ version: 1, fallbacks: { products: { status: 200, body: '{}', ...f } } });

  it('refuses CR, LF or NUL in a header value: a header injection into every degraded answer', () => {
    for (const value of ['a\r\nSet-Cookie: x=1', 'a\nb', 'a\rb', 'a\u0000b']) {
      const issues = issuesOf(withFallback({ headers: { 'x-note': value } }));
      assert.deepEqual(
        issues.map(i => [i.path, i.message]),
        [['fallbacks.products.headers.x-note', 'no CR, LF or control characters in a header value']],
        JSON.stringify(value),
      );
    }
  });

  it('refuses hop-by-hop and framing headers, whatever their case, and invalid header names', () => {
    for (const name of ['Content-Length', 'transfer-encoding', 'Connection', 'keep-alive', 'upgrade', 'TE', 'trailer', 'x-brownout-degraded']) {
      const issues = issuesOf(withFallback({ headers: { [name]: 'x' } }));
      assert.match(issues[0]!.message, /cannot be set by a fallback/, name);
    }
    assert.match(issuesOf(withFallback({ headers: { 'bad name': 'x' } }))[0]!.message, /not a valid header name/);
  });

  it('refuses a status outside 200–599 and keeps the revision the console published', () => {
    for (const status of [99, 199, 600]) assert.equal(issuesOf(withFallback({ status }))[0]!.message, 'a status from 200 to 599');
    assert.equal(withFallback({ revision: 3, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } })().fallbacks.products!.revision, 3);
  });
});

describe('upstream host addresses', () => {
  const withHosts = (hosts: unknown[]) => () => parseConfig({ clusters: [{ name: 'a', hosts }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'a' }] });

  it('refuses a URL with a scheme instead of accepting it as a host name that fails every request', () => {
    for (const h of ['https://api.example.com:443', 'http://api:80']) {
      const issues = issuesOf(withHosts([h]));
      assert.equal(issues[0]!.path, 'clusters.0.hosts.0');
      assert.match(issues[0]!.message, /without a scheme/);
    }
    assert.match(issuesOf(withHosts([{ address: 'https://api', port: 443 }]))[0]!.message, /without a scheme or path/);
  });

  it('accepts names, IPv4 and bracketed IPv6 addresses', () => {
    const c = withHosts(['api.internal:8080', '10.0.0.1:80', '[::1]:9000'])();
    assert.deepEqual(c.clusters[0]!.hosts.map(h => [h.address, h.port]), [['api.internal', 8080], ['10.0.0.1', 80], ['[::1]', 9000]]);
  });

  it('grpc_health_check (issue 26): one health check kind, and only on an HTTP/2 cluster', () => {
    const hc = { timeout: '1s', interval: '5s', unhealthy_threshold: 2, healthy_threshold: 1, grpc_health_check: { service_name: 'pkg.Svc' } };
    const ok = parseConfig({ ...minimal(), clusters: [{ name: 'a', hosts: ['127.0.0.1:9000'], http2_protocol_options: {}, health_checks: [hc] }] });
    assert.deepEqual(ok.clusters[0]!.health_checks[0]!.grpc_health_check, { service_name: 'pkg.Svc' });
    const h1 = issuesOf(() => parseConfig({ ...minimal(), clusters: [{ name: 'a', hosts: ['127.0.0.1:9000'], health_checks: [hc] }] }));
    assert.deepEqual(h1, [{ path: 'clusters.0.health_checks.0.grpc_health_check', message: 'gRPC runs over HTTP/2: set http2_protocol_options on the cluster' }]);
    const both = issuesOf(() => parseConfig({ ...minimal(), clusters: [{ name: 'a', hosts: ['127.0.0.1:9000'], http2_protocol_options: {}, health_checks: [{ ...hc, tcp_health_check: {} }] }] }));
    assert.match(both[0]!.message, /exactly one of http_health_check, tcp_health_check or grpc_health_check/);
    const fallback = issuesOf(() => parseSwitchDocument({ version: 1, fallbacks: { r: { grpc: { status: 14, response_base64: 'AAAA' } } } }));
    assert.match(fallback[0]!.path, /fallbacks\.r\.grpc\.response_base64/);
  });
});
