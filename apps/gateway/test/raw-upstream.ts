import { after } from 'node:test';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';

/** One request as the upstream saw it on the wire. */
export interface RawRequest {
  /** The request line, e.g. `GET /a HTTP/1.1`. */
  readonly line: string;
  readonly method: string;
  readonly target: string;
  /** Header lines as sent, names in their original case. */
  readonly headers: readonly [string, string][];
  readonly body: Buffer;
  /** Index of the TCP connection it came on (0-based, in accept order). */
  readonly connection: number;
}

/**
 * A recording HTTP/1.1 upstream on a raw socket: it keeps the exact bytes of every request line,
 * header and body (Node's HTTP server would normalise them), and answers each request with
 * `respond` (raw bytes). Bodies are read by content-length or chunked framing; keep-alive is kept
 * unless the response says `connection: close`.
 */
export class RawUpstream {
  readonly requests: RawRequest[] = [];
  connections = 0;
  respond: (r: RawRequest) => string | Buffer = () => 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer(s => {
      this.accept(s);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>(r => this.server.listen(0, '127.0.0.1', r));
    after(() => this.stop());
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  header(r: RawRequest, name: string): string | undefined {
    return r.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(r => {
      this.server.close(() => {
        r();
      });
    });
  }

  private accept(s: Socket): void {
    const id = this.connections++;
    this.sockets.add(s);
    s.on('close', () => {
      this.sockets.delete(s);
    });
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', chunk => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const parsed = parseOne(buf, id);
        if (!parsed) return;
        buf = buf.subarray(parsed.used);
        this.requests.push(parsed.req);
        const out = this.respond(parsed.req);
        s.write(out);
        if (/\r\nconnection: close\r\n/i.test(typeof out === 'string' ? out : out.toString('latin1'))) {
          s.end();
          return;
        }
      }
    });
  }
}

function parseOne(buf: Buffer, connection: number): { req: RawRequest; used: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const line = lines[0]!;
  const [method = '', target = ''] = line.split(' ');
  const headers = lines.slice(1).map(l => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
  });
  const get = (n: string): string | undefined => headers.find(([k]) => k.toLowerCase() === n)?.[1];
  let pos = end + 4;
  let body = Buffer.alloc(0);
  if (get('transfer-encoding')?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = [];
    for (;;) {
      const le = buf.indexOf('\r\n', pos);
      if (le < 0) return undefined;
      const size = parseInt(buf.subarray(pos, le).toString('latin1'), 16);
      if (buf.length < le + 2 + size + 2) return undefined;
      if (size === 0) {
        const te = buf.indexOf('\r\n\r\n', le);
        if (te < 0) return undefined;
        pos = te + 4;
        break;
      }
      parts.push(buf.subarray(le + 2, le + 2 + size));
      pos = le + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else {
    const cl = Number(get('content-length') ?? 0);
    if (buf.length < pos + cl) return undefined;
    body = Buffer.from(buf.subarray(pos, pos + cl));
    pos += cl;
  }
  return { req: { line, method, target, headers, body, connection }, used: pos };
}

/** Sends raw bytes to `port` and resolves with everything received until the server closes or `idleMs` passes quietly. */
export function rawExchange(port: number, bytes: string | Buffer, idleMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (timer) clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(done, idleMs);
    };
    s.on('connect', () => {
      s.write(bytes);
      arm();
    });
    s.on('data', d => {
      out += d.toString('latin1');
      if (complete(out)) done();
      else arm();
    });
    s.on('end', done);
    s.on('error', reject);
  });
}

/** True once `raw` holds a final response whose content-length body has fully arrived. */
function complete(raw: string): boolean {
  let at = 0;
  for (;;) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) return false;
    const head = raw.slice(at, end);
    if (/^HTTP\/1\.1 1\d\d/.test(head)) {
      at = end + 4;
      continue;
    }
    const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
    return cl !== null && raw.length >= end + 4 + Number(cl[1]);
  }
}

/** Status code of the first final (non-1xx) response in a raw exchange. */
export function statusOf(raw: string): number {
  for (const m of raw.matchAll(/(?:^|\r\n)HTTP\/1\.1 (\d{3})/g)) if (!m[1]!.startsWith('1')) return Number(m[1]);
  return 0;
}
