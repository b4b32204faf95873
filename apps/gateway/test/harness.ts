import { after } from 'node:test';
import type { AddressInfo } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import { pino, type Logger } from 'pino';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { parseConfig, type GatewayConfigInput } from '@brownout/core/config';
import { Gateway } from '../src/gateway.ts';
import { DemoUpstream } from '../src/demo/demo-upstreams.ts';

export const ADMIN_TOKEN = 'test-token';

/** Starts `n` demo upstreams on ephemeral loopback ports; stopped after the test file. */
export async function upstreams(n: number, prefix = 'u'): Promise<DemoUpstream[]> {
  const list = await Promise.all(Array.from({ length: n }, (_, i) => new DemoUpstream(`${prefix}${i}`).start()));
  after(async () => {
    await Promise.all(list.map(u => u.stop()));
  });
  return list;
}

export function hostsOf(list: readonly DemoUpstream[]): string[] {
  return list.map(u => `127.0.0.1:${u.address.port}`);
}

export interface RunningGateway {
  gw: Gateway;
  url: string;
  admin: string;
  get(path: string, headers?: Record<string, string>, method?: Dispatcher.HttpMethod, body?: string): Promise<Res>;
  adminGet(path: string, token?: string): Promise<Res>;
  adminPost(path: string): Promise<Res>;
  adminPut(path: string, body: unknown): Promise<Res>;
  close(): Promise<void>;
}

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parses the body; the caller names the shape it expects. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a test states the shape it expects
  json<T>(): T;
}

const agent = new Agent({ keepAliveTimeout: 10, connections: 64 });
after(async () => {
  await agent.close();
});

async function send(url: string, method: Dispatcher.HttpMethod, headers: Record<string, string>, body?: string): Promise<Res> {
  const r = await request(url, { method, headers, body: body ?? null, dispatcher: agent });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, text, json: () => JSON.parse(text) as never };
}

export interface GatewayExtras {
  readonly configPath?: string;
  readonly redisUrl?: string;
  readonly snapshotPath?: string;
  readonly reconcileMs?: number;
  readonly heartbeatMs?: number;
  /** Read-only admin token. */
  readonly adminReadToken?: string;
  /** Operational log; silent by default. */
  readonly log?: Logger;
  /** Span exporter for a config with `tracing`. */
  readonly spanExporter?: SpanExporter;
  /** Access log target (`off` by default). */
  readonly accessLog?: string;
}

/** Starts a gateway on ephemeral ports with a silent operational log and no access log. */
export async function gateway(input: GatewayConfigInput, extras: string | GatewayExtras = {}): Promise<RunningGateway> {
  const x: GatewayExtras = typeof extras === 'string' ? { configPath: extras } : extras;
  const config = parseConfig({ ...input, listener: { port: 0, ...input.listener }, admin: { port: 0, ...input.admin } });
  const gw = new Gateway({
    config,
    configPath: x.configPath,
    redisUrl: x.redisUrl,
    snapshotPath: x.snapshotPath,
    reconcileMs: x.reconcileMs,
    heartbeatMs: x.heartbeatMs,
    accessLog: x.accessLog ?? 'off',
    spanExporter: x.spanExporter,
    adminToken: ADMIN_TOKEN,
    adminReadToken: x.adminReadToken,
    log: x.log ?? pino({ level: 'silent' }),
  });
  await gw.listen();
  const url = `http://127.0.0.1:${(gw.publicApp.server.address() as AddressInfo).port}`;
  const admin = `http://127.0.0.1:${(gw.adminApp.server.address() as AddressInfo).port}`;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await gw.close(1_000);
  };
  after(close);
  return {
    gw,
    url,
    admin,
    get: (path, headers = {}, method = 'GET', body) => send(url + path, method, headers, body),
    adminGet: (path, token = ADMIN_TOKEN) => send(admin + path, 'GET', { authorization: `Bearer ${token}` }),
    adminPost: path => send(admin + path, 'POST', { authorization: `Bearer ${ADMIN_TOKEN}` }),
    adminPut: (path, body) => send(admin + path, 'PUT', { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, JSON.stringify(body)),
    close,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));

/** Polls `fn` until it returns true or `ms` passes. For waiting on real timers (health checks, sweeps). */
export async function eventually(fn: () => boolean | Promise<boolean>, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A pino logger that keeps every line (parsed) for assertions. */
export function recordingLog(): { log: Logger; lines: { msg: string; level: number; [k: string]: unknown }[] } {
  const lines: { msg: string; level: number }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as { msg: string; level: number }) });
  return { log, lines };
}
