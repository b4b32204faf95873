import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfigText } from '@brownout/core/config';
import { redisServer } from '@brownout/control-plane/testing';
import { parseRedisTarget } from '@brownout/control-plane';
import { gateway, hostsOf, upstreams } from './harness.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const read = (p: string): string => readFileSync(ROOT + p, 'utf8');

// These artefacts cannot be run here (no image registry): what can be checked offline is.
describe('deploy artefacts', () => {
  it('every metric the Grafana dashboard queries exists in a real scrape (fleet mode, after traffic, retries and degraded answers)', async () => {
    const redis = await redisServer();
    const ups = await upstreams(2);
    const g = await gateway(
      {
        clusters: [{ name: 'api', hosts: hostsOf(ups), outlier_detection: { consecutive_5xx: 3, interval: '100ms', max_ejection_percent: 50 } }],
        routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: ['5xx'], num_retries: 1 }, degradation: { mode: 'reject' } }],
      },
      { redisUrl: redis.url },
    );
    await ups[0]!.setMode('503');
    for (let i = 0; i < 20; i++) await g.get(`/${i}`);
    await g.adminPut('/switches', { routes: { r: { mode: 'reject', reason: 'test', actor: 't' } } });
    await g.get('/degraded');
    const scrape = (await g.adminGet('/stats/prometheus')).text;
    const declared = new Set([...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(m => (m[2] === 'histogram' ? [m[1]!, `${m[1]!}_bucket`, `${m[1]!}_sum`, `${m[1]!}_count`] : [m[1]!])));
    const dashboard = JSON.parse(read('deploy/grafana/brownout-gateway.json')) as { panels: { targets: { expr: string }[] }[] };
    const used = new Set(dashboard.panels.flatMap(p => p.targets.flatMap(t => [...t.expr.matchAll(/\b((?:brownout|process|nodejs)_[a-z0-9_]+)\b/g)].map(m => m[1]!))));
    assert.ok(used.size >= 10, `the dashboard uses ${used.size} metrics`);
    for (const name of used) assert.ok(declared.has(name), `${name} (used by the dashboard) is exported`);
  });

  it('docker-compose.yml parses, builds targets the Dockerfile has, mounts files that exist, and its gateway config is valid', () => {
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, { build?: { target: string }; volumes?: string[]; image?: string }> };
    const dockerfile = read('Dockerfile');
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build) assert.match(dockerfile, new RegExp(`^FROM \\S+ AS ${s.build.target}$`, 'm'), `${name}: target ${s.build.target}`);
      for (const v of s.volumes ?? []) if (v.startsWith('./')) assert.ok(existsSync(ROOT + v.split(':')[0]!.slice(2)), `${name}: ${v}`);
    }
    assert.deepEqual(Object.keys(compose.services).sort(), ['console', 'gateway', 'redis', 'upstreams']);
    const cfg = loadConfigText(read('deploy/compose/gateway.yaml'));
    assert.equal(cfg.listener.address, '0.0.0.0');
  });

  it('the Dockerfile runs as the unprivileged node user on node:20-slim with a health check on /ready', () => {
    const d = read('Dockerfile');
    const stages = d.split(/^FROM /m).slice(1);
    assert.ok(stages.every(s => s.startsWith('node:20-slim')), 'every stage on node:20-slim');
    for (const target of ['gateway', 'console']) {
      const stage = stages.find(s => s.startsWith(`node:20-slim AS ${target}`))!;
      assert.match(stage, /^USER node$/m, `${target} runs as node`);
      assert.match(stage, /^HEALTHCHECK /m, `${target} has a health check`);
    }
    assert.match(stages.find(s => s.startsWith('node:20-slim AS gateway'))!, /\/ready/);
  });

  it('the Kubernetes manifest parses, probes /ready, drains before stopping, and carries a valid config', () => {
    const docs = parseAllDocuments(read('deploy/kubernetes/gateway.yaml')).map(d => d.toJS() as Record<string, unknown>);
    const kinds = docs.map(d => d.kind);
    assert.deepEqual(kinds, ['ConfigMap', 'Deployment', 'Service']);
    const cm = docs[0] as { data: Record<string, string> };
    loadConfigText(cm.data['gateway.yaml']!);
    const c = (docs[1] as { spec: { template: { spec: { containers: { readinessProbe: { httpGet: { path: string } }; lifecycle: { preStop: { exec: { command: string[] } } } }[] } } } }).spec.template.spec.containers[0]!;
    assert.equal(c.readinessProbe.httpGet.path, '/ready');
    assert.match(c.lifecycle.preStop.exec.command.join(' '), /\/healthcheck\/fail/);
  });

  it('the Sentinel variants: the compose override and the Kubernetes manifest parse, and every REDIS_URL names the sentinels and the master they run', () => {
    const base = parse(read('docker-compose.yml')) as { services: Record<string, unknown> };
    const over = parse(read('docker-compose.sentinel.yml'), { merge: true }) as { services: Record<string, { environment?: Record<string, string>; volumes?: string[]; depends_on?: string[] }> };
    const sentinels = ['sentinel-1', 'sentinel-2', 'sentinel-3'];
    for (const name of sentinels) assert.ok(over.services[name]?.volumes?.every(v => existsSync(ROOT + v.split(':')[0]!.slice(2))), `${name} mounts a file that exists`);
    const conf = read('deploy/compose/sentinel.conf');
    const master = /^sentinel monitor (\S+) (\S+) (\d+) (\d+)$/m.exec(conf);
    assert.ok(master, 'the sentinels monitor a master');
    assert.ok(master[2]! in over.services, `the monitored host ${master[2]!} is a service`);
    for (const svc of ['gateway', 'console']) {
      assert.ok(svc in base.services, `${svc} overrides a service of docker-compose.yml`);
      const url = over.services[svc]!.environment!.REDIS_URL!.replace(/\$\{REDIS_PASSWORD:-[^}]*\}/, 'pw');
      const t = parseRedisTarget(url);
      assert.ok(t.kind === 'sentinel', `${svc}: ${url}`);
      assert.equal(t.name, master[1]);
      assert.deepEqual(t.sentinels.map(x => x.host), sentinels);
      assert.equal(t.auth.password, 'pw');
    }
    const docs = parseAllDocuments(read('deploy/kubernetes/redis-sentinel.yaml')).map(d => d.toJS() as Record<string, unknown>);
    assert.deepEqual(docs.map(d => d.kind), ['ConfigMap', 'StatefulSet', 'Service']);
    const scripts = (docs[0] as { data: Record<string, string> }).data;
    assert.match(scripts['start-sentinel.sh']!, /sentinel monitor brownout redis-sentinel-0\.redis-sentinel 6379 2/);
    const example = /redis-sentinel:\/\/\S+/.exec(read('deploy/kubernetes/redis-sentinel.yaml'))![0];
    const k = parseRedisTarget(example);
    assert.ok(k.kind === 'sentinel' && k.name === 'brownout' && k.sentinels.length === 3, example);
  });
});
