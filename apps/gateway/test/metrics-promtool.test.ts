import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gateway, hostsOf, upstreams } from './harness.ts';

/** `promtool check metrics` (Debian's prometheus package; .ci/run installs it) on a scrape: its findings, empty when clean. */
function promtool(scrape: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is missing (apt-get install -y prometheus): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('metrics an operator can scrape', () => {
  it('pass promtool check metrics with zero findings after traffic, failures, retries, ejections, panic and degraded answers', async () => {
    const ups = await upstreams(3);
    const g = await gateway({
      clusters: [
        {
          name: 'api',
          hosts: hostsOf(ups),
          outlier_detection: { consecutive_5xx: 2, interval: '100ms', max_ejection_percent: 50 },
          health_checks: [{ timeout: '80ms', interval: '100ms', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/healthz' } }],
        },
      ],
      routes: [
        { name: 'cached', match: { prefix: '/cached' }, cluster: 'api', degradation: { mode: 'cache' } },
        {
          name: 'all',
          match: { prefix: '/' },
          cluster: 'api',
          retry_policy: { retry_on: ['5xx'], num_retries: 2 },
          circuit_breaker: { consecutive_failures: 3, open_duration: '1s' },
          fault: { abort: { http_status: 503, percentage: 10 } },
          degradation: { mode: 'default', default_response: { status: 200, body: 'x' } },
        },
      ],
    });
    for (let i = 0; i < 10; i++) await g.get(`/cached/${i % 3}`);
    await ups[0]!.setMode('503');
    await ups[1]!.setMode('reset');
    await ups[2]!.setMode('reset');
    for (let i = 0; i < 10; i++) await g.get(`/cached/${i % 4}`); // stale-if-error: hits for 0–2, misses for 3
    await ups[1]!.setMode('healthy');
    await ups[2]!.setMode('healthy');
    for (let i = 0; i < 60; i++) await g.get(`/x${i}`);
    const scrape = (await g.adminGet('/stats/prometheus')).text;
    const check = promtool(scrape);
    assert.deepEqual(check, { status: 0, output: '' });
    // What Envoy users look for is there, typed as Prometheus expects.
    for (const [name, type] of [
      ['brownout_requests_total', 'counter'],
      ['brownout_upstream_requests_total', 'counter'],
      ['brownout_upstream_requests_active', 'gauge'],
      ['brownout_upstream_requests_pending', 'gauge'],
      ['brownout_outlier_ejections_total', 'counter'],
      ['brownout_outlier_ejections_active', 'gauge'],
      ['brownout_health_checks_total', 'counter'],
      ['brownout_retry_outcomes_total', 'counter'],
      ['brownout_overflow_total', 'counter'],
      ['brownout_lb_healthy_panic_total', 'counter'],
      ['brownout_degraded_responses_total', 'counter'],
      ['brownout_cache_lookups_total', 'counter'],
      ['brownout_request_duration_seconds', 'histogram'],
      ['brownout_upstream_response_time_seconds', 'histogram'],
      ['brownout_upstream_connections', 'gauge'],
      ['brownout_switches_version', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
    ] as const) {
      assert.match(scrape, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), name);
    }
    assert.doesNotMatch(scrape, /brownout_process_/, 'process metrics carry their usual names, once');
    assert.match(scrape, /brownout_cache_lookups_total\{route="cached",result="hit"\} [1-9]/);
    assert.match(scrape, /brownout_cache_lookups_total\{route="cached",result="miss"\} [1-9]/);
    assert.match(scrape, /brownout_upstream_response_time_seconds_count\{cluster="api"\} [1-9]/);
    assert.match(scrape, /brownout_upstream_connections\{cluster="api",host="[^"]+",state="idle"\} [1-9]/);
    assert.match(scrape, /brownout_outlier_ejections_total\{cluster="api",type="consecutive_5xx",enforced="true"\} [1-9]/);
  });

  it('the checker itself finds what it should (a gauge named _total), so a clean run means something', () => {
    const bad = '# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n';
    const check = promtool(bad);
    assert.notEqual(check.status, 0);
    assert.match(check.output, /non-counter metrics should not have "_total" suffix/);
  });
});
