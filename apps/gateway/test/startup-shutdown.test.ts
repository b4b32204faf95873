import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { request } from 'undici';
import { eventually } from './harness.ts';
import { startGateway } from './gateway-process.ts';
import { redisServer } from '@brownout/control-plane/testing';

function run(config: Record<string, unknown>, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'brownout-start-'));
  const file = join(dir, 'gw.yaml');
  writeFileSync(file, stringify({ clusters: [{ name: 'api', hosts: ['127.0.0.1:9'] }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }], ...config }));
  return startGateway(['--config', file], { REDIS_URL: '', ...env });
}

async function busyPort(): Promise<{ port: number; close: () => void }> {
  const s = createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  return { port: (s.address() as AddressInfo).port, close: () => s.close() };
}

describe('start-up and shutdown', () => {
  it('a port in use is one brownout: line naming the field, exit 1, no stack trace', async () => {
    const busy = await busyPort();
    try {
      for (const [config, field] of [
        [{ listener: { port: busy.port }, admin: { port: 0 } }, 'listener.port'],
        [{ listener: { port: 0 }, admin: { port: busy.port } }, 'admin.port'],
      ] as const) {
        const p = run(config);
        assert.equal(await p.exit, 1);
        const out = p.stderr().trim();
        assert.equal(out, `brownout: ${field}: 127.0.0.1:${busy.port} is already in use (EADDRINUSE)`);
      }
    } finally {
      busy.close();
    }
  });

  it('an unknown listen address and an admin port equal to the public port are refused by field', async () => {
    const bad = run({ listener: { port: 0, address: '203.0.113.77' }, admin: { port: 0 } });
    assert.equal(await bad.exit, 1);
    assert.match(bad.stderr().trim(), /^brownout: listener\.address: cannot listen on "203\.0\.113\.77" \(EADDRNOTAVAIL/);
    assert.doesNotMatch(bad.stderr(), /\n\s+at /);
    const same = run({ listener: { port: 8471 }, admin: { port: 8471 } });
    assert.equal(await same.exit, 1);
    assert.match(same.stderr(), /admin\.port: must differ from listener\.port \(8471\)/);
  });

  it('admin.token: env:NAME with NAME unset refuses to start instead of generating a token', async () => {
    const p = run({ listener: { port: 0 }, admin: { port: 0, token: 'env:BROWNOUT_TEST_UNSET_TOKEN' } }, { BROWNOUT_TEST_UNSET_TOKEN: '' });
    assert.equal(await p.exit, 1);
    assert.match(p.stderr().trim(), /^brownout: admin\.token: "env:BROWNOUT_TEST_UNSET_TOKEN" names the environment variable BROWNOUT_TEST_UNSET_TOKEN, which is not set/);
  });

  it('SIGTERM with Redis unreachable (frozen: connected, never answering) exits promptly', async () => {
    const redis = await redisServer();
    const dir = mkdtempSync(join(tmpdir(), 'brownout-nored-'));
    const p = run({ listener: { port: 0 }, admin: { port: 0 } }, { REDIS_URL: redis.url, BROWNOUT_SWITCH_SNAPSHOT: join(dir, 'snap.json') });
    await eventually(() => p.stderr().includes('brownout gateway listening'), 15_000, 'start-up');
    const line = JSON.parse(p.stderr().split('\n').find(l => l.includes('listening'))!) as { admin: string };
    assert.equal((await request(`${line.admin}/ready`)).statusCode, 200);
    redis.freeze(true);
    const t0 = performance.now();
    p.child.kill('SIGTERM');
    const code = await Promise.race([p.exit, new Promise(r => setTimeout(r, 5_000, 'still running'))]);
    const ms = performance.now() - t0;
    if (code === 'still running') p.child.kill('SIGKILL');
    assert.equal(code, 0, `exit after ${Math.round(ms)} ms`);
    assert.ok(ms < 2_000, `exited after ${Math.round(ms)} ms`);
  });
});
