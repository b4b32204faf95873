import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a demo upstream misbehaves; switchable at runtime. */
export type UpstreamMode = 'healthy' | '503' | 'flaky' | 'slow' | 'hang' | 'refuse' | 'reset' | 'partial' | 'trickle' | 'draining';
export const UPSTREAM_MODES: readonly UpstreamMode[] = ['healthy', '503', 'flaky', 'slow', 'hang', 'refuse', 'reset', 'partial', 'trickle', 'draining'];

/**
 * A small HTTP server for demos and tests that answers in a chosen failure mode: healthy (200 JSON
 * naming itself), 503s, slow (delay), hang (never answers), refuse (stops listening: connection
 * refused), reset (destroys the socket before answering) or partial (sends headers and half a
 * body, then drops the connection) or trickle (streams a chunk every 50 ms for a second).
 * `/healthz` follows the mode too, except in two modes that fool a health check: flaky (a share
 * `flakyRatio` of requests gets 503, drawn from a seeded sequence; `/healthz` passes) and draining
 * (`/healthz` answers 503 while traffic is still served — the first step of a graceful shutdown).
 */
export class DemoUpstream {
  readonly name: string;
  mode: UpstreamMode = 'healthy';
  slowMs = 1_000;
  flakyRatio = 0.3;
  hits = 0;
  /** Health-check requests (`/healthz`) received. */
  healthHits = 0;
  /** Called for every request that is not a health check (the fault bench counts them over time). */
  onHit: ((at: number) => void) | undefined;
  /** Seeded (mulberry32) so a flaky host fails the same requests on every run. */
  private seed = 0x9e3779b9;
  lastHeaders: IncomingMessage['headers'] = {};
  lastBody = '';
  private server: Server;
  private port: number;
  private readonly host: string;
  private readonly hung = new Set<ServerResponse>();

  constructor(name: string, port = 0, host = '127.0.0.1') {
    this.name = name;
    this.port = port;
    this.host = host;
    this.server = this.makeServer();
  }

  get address(): { host: string; port: number } {
    return { host: this.host, port: this.port };
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async setMode(mode: UpstreamMode): Promise<void> {
    const was = this.mode;
    this.mode = mode;
    if (mode !== 'hang') this.releaseHung();
    if (mode === 'refuse' && was !== 'refuse') {
      await this.closeServer();
    } else if (was === 'refuse' && mode !== 'refuse') {
      this.server = this.makeServer();
      await this.start();
    }
  }

  async stop(): Promise<void> {
    this.releaseHung();
    if (this.mode !== 'refuse') await this.closeServer();
  }

  private async closeServer(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private releaseHung(): void {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
  }

  private makeServer(): Server {
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        this.handle(req, res, body);
      });
    });
    server.keepAliveTimeout = 5_000;
    return server;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const isHealth = req.url === '/healthz';
    if (isHealth) this.healthHits++;
    if (!isHealth) {
      this.hits++;
      this.onHit?.(performance.now());
      this.lastHeaders = req.headers;
      this.lastBody = body;
    }
    switch (this.mode) {
      case 'healthy':
        this.ok(res, req, isHealth);
        return;
      case '503':
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`${this.name}: unavailable\n`);
        return;
      case 'flaky':
        if (!isHealth && this.draw() < this.flakyRatio) res.writeHead(503, { 'content-type': 'text/plain' }).end(`${this.name}: unavailable\n`);
        else this.ok(res, req, isHealth);
        return;
      case 'draining':
        if (isHealth) res.writeHead(503, { 'content-type': 'text/plain' }).end('draining\n');
        else this.ok(res, req, isHealth);
        return;
      case 'slow':
        setTimeout(() => {
          this.ok(res, req, isHealth);
        }, this.slowMs).unref();
        return;
      case 'hang':
        this.hung.add(res);
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        let n = 0;
        const t = setInterval(() => {
          if (res.destroyed || ++n > 20) {
            clearInterval(t);
            if (!res.destroyed) res.end('done\n');
            return;
          }
          res.write(`chunk ${n}\n`);
        }, 50);
        return;
      }
      case 'partial':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100 });
        res.write('half a body');
        setTimeout(() => req.socket.destroy(), 20).unref();
        return;
      case 'refuse':
        req.socket.destroy();
        return;
    }
  }

  /** mulberry32: a uniform draw in [0, 1) from the upstream's own seed. */
  private draw(): number {
    let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  private ok(res: ServerResponse, req: IncomingMessage, isHealth: boolean): void {
    const payload = isHealth ? 'ok\n' : JSON.stringify({ upstream: this.name, path: req.url, method: req.method }) + '\n';
    res.writeHead(200, { 'content-type': isHealth ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(payload) }).end(payload);
  }
}

/** Control API for a set of demo upstreams: `GET /` lists them, `POST /<name>/<mode>` switches one. */
export function createControlServer(upstreams: readonly DemoUpstream[]): Server {
  return createServer((req, res) => {
    const parts = (req.url ?? '/').split('/').filter(Boolean);
    if (req.method === 'GET' && parts.length === 0) {
      const list = upstreams.map(u => ({ name: u.name, port: u.address.port, mode: u.mode, hits: u.hits }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list, null, 2) + '\n');
      return;
    }
    const [name, mode] = parts;
    const u = upstreams.find(x => x.name === name);
    if (req.method !== 'POST' || !u || !UPSTREAM_MODES.includes(mode as UpstreamMode)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`usage: POST /<${upstreams.map(x => x.name).join('|')}>/<${UPSTREAM_MODES.join('|')}>\n`);
      return;
    }
    u.setMode(mode as UpstreamMode).then(
      () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${u.name} is now ${u.mode}\n`),
      (e: unknown) => res.writeHead(500).end(String(e)),
    );
  });
}
