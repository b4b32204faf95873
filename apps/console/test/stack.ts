import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestRedis } from '@brownout/control-plane/testing';

const CONSOLE_DIR = new URL('..', import.meta.url).pathname;
const GATEWAY_MAIN = new URL('../../gateway/src/main.ts', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise(r => s.close(r));
  return port;
}

/** Cleanups, run by `stopStack()` (node:test's after() inside a before() hook would run at once). */
const cleanups: (() => unknown)[] = [];
export async function stopStack(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

/** A real upstream host on loopback whose answers the test switches between ok and 503. */
export class Upstream {
  failing = false;
  readonly server: http.Server;
  port = 0;
  readonly name: string;
  constructor(name: string) {
    this.name = name;
    this.server = http.createServer((req, res) => {
      req.resume();
      if (this.failing) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream broken');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ from: this.name }));
    });
  }
  async start(): Promise<this> {
    await new Promise<void>(r => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    cleanups.push(() => new Promise(r => this.server.close(r)));
    return this;
  }
}

function track(child: ChildProcess, name: string): { output: () => string } {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  child.on('exit', code => {
    if (code !== 0 && code !== null) process.stderr.write(`${name} exited ${code}:\n${out.slice(-3000)}\n`);
  });
  return { output: () => out };
}

async function waitFor(url: string, what: string, headers: Record<string, string> = {}, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url, { headers, redirect: 'manual' });
      if (r.status < 500) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${what} did not come up at ${url}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

function gatewayConfig(gwPort: number, adminPort: number, a: Upstream, b: Upstream, ejectionTime: string): string {
  return `listener: { address: 127.0.0.1, port: ${gwPort} }
admin: { address: 127.0.0.1, port: ${adminPort}, token: env:BROWNOUT_ADMIN_TOKEN }
clusters:
  - name: catalog
    hosts: [127.0.0.1:${a.port}, 127.0.0.1:${b.port}]
    outlier_detection: { consecutive_5xx: 3, interval: 500ms, base_ejection_time: ${ejectionTime}, max_ejection_percent: 50 }
routes:
  - name: products
    match: { prefix: /api/products }
    cluster: catalog
    priority: high
    retry_policy: { retry_on: [5xx], num_retries: 1 }
    degradation:
      mode: default
      default_response: { status: 200, headers: { content-type: application/json }, body: '{"products":[],"degraded":true}' }
  - name: reports
    match: { prefix: /api/reports }
    cluster: catalog
    priority: low
`;
}

export interface Stack {
  readonly redis: TestRedis;
  readonly a: Upstream;
  readonly b: Upstream;
  readonly gatewayUrl: string;
  readonly adminUrl: string;
  readonly consoleUrl: string;
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** The console's SQLite database, for tests that set up users directly. */
  readonly consoleDbUrl: string;
}

export const ADMIN_TOKEN = 'test-admin-token';

/** A gateway process on a config naming the two upstreams; fleet mode when `redisUrl` is given. */
export async function startGateway(a: Upstream, b: Upstream, redisUrl: string | undefined, ejectionTime = '60s'): Promise<{ gatewayUrl: string; adminUrl: string; dir: string }> {
  const [gwPort, adminPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(tmpdir(), 'brownout-console-e2e-'));
  const config = path.join(dir, 'gateway.yaml');
  writeFileSync(config, gatewayConfig(gwPort, adminPort, a, b, ejectionTime));
  const gw = spawn(process.execPath, ['--import', 'tsx', GATEWAY_MAIN, '--config', config], {
    env: { ...process.env, REDIS_URL: redisUrl ?? '', BROWNOUT_ADMIN_TOKEN: ADMIN_TOKEN, BROWNOUT_ACCESS_LOG: 'off', BROWNOUT_SWITCH_SNAPSHOT: path.join(dir, 'switches.snapshot.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(gw, 'gateway');
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitFor(`${adminUrl}/ready`, 'gateway', { authorization: `Bearer ${ADMIN_TOKEN}` });
  return { gatewayUrl: `http://127.0.0.1:${gwPort}`, adminUrl, dir };
}

/** Real Redis, two real upstreams, a real gateway process in fleet mode, and the built console. */
export interface StackOptions {
  /** The gateway's outlier base_ejection_time (60s unless a test needs hosts back soon). */
  readonly ejectionTime?: string;
  /** More environment for the console. */
  readonly consoleEnv?: Record<string, string>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const redis = await new TestRedis().start();
  cleanups.push(() => redis.stop());
  return { redis, ...(await startStackOn(redis.url, opts)) };
}

/** The same stack on a Redis the caller runs (a Sentinel or Cluster deployment: any REDIS_URL form). */
export async function startStackOn(redisUrl: string, opts: StackOptions = {}): Promise<Omit<Stack, 'redis'>> {
  const [a, b] = await Promise.all([new Upstream('a').start(), new Upstream('b').start()]);
  const consolePort = await freePort();
  const { gatewayUrl, adminUrl, dir } = await startGateway(a, b, redisUrl, opts.ejectionTime);
  const adminEmail = 'admin@example.com';
  const adminPassword = 'correct-horse-battery-staple';
  const con = spawn(process.execPath, ['server.mjs'], {
    cwd: CONSOLE_DIR,
    env: {
      ...process.env,
      PORT: String(consolePort),
      BROWNOUT_CONSOLE_DATA_DIR: path.join(dir, 'console'),
      DATABASE_URL: '',
      REDIS_URL: redisUrl,
      BROWNOUT_GATEWAY_URL: '',
      BROWNOUT_CONSOLE_ADMIN_EMAIL: adminEmail,
      BROWNOUT_CONSOLE_ADMIN_PASSWORD: adminPassword,
      NEXT_TELEMETRY_DISABLED: '1',
      ...opts.consoleEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(con, 'console');
  const consoleUrl = `http://127.0.0.1:${consolePort}`;
  await waitFor(`${consoleUrl}/login`, 'console');
  return { a, b, gatewayUrl, adminUrl, consoleUrl, adminEmail, adminPassword, consoleDbUrl: `file:${path.join(dir, 'console', 'brownout-console.db')}` };
}
