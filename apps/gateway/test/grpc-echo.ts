import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** The Echo service's message. */
export interface Msg {
  text: string;
  n: number;
}

const PROTO = fileURLToPath(new URL('./fixtures/echo.proto', import.meta.url));
const pkg = grpc.loadPackageDefinition(loadSync(PROTO, { keepCase: true, defaults: true })) as unknown as {
  brownout: { test: { Echo: grpc.ServiceClientConstructor } };
};
export const EchoClient = pkg.brownout.test.Echo;
const health = grpc.loadPackageDefinition(loadSync(fileURLToPath(new URL('./fixtures/health.proto', import.meta.url)), { keepCase: true, defaults: true, enums: String })) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};
export type Echo = InstanceType<typeof EchoClient> & Record<string, (...args: unknown[]) => unknown>;

/** What a test makes an Echo server do next; each call reads it when it starts. */
export interface EchoBehaviour {
  /** gRPC status codes to fail the next unary calls with, in order (then OK). */
  failNext: grpc.status[];
  /** Milliseconds between server-stream messages. */
  streamGapMs: number;
  /** What grpc.health.v1.Health/Check answers per service name ('' = the server); absent: SERVICE_UNKNOWN. */
  health: Record<string, 'SERVING' | 'NOT_SERVING'>;
  /** Size of each server-stream message's text (0: the request's text). */
  payloadBytes: number;
  /** Server streams end with UNAVAILABLE (in the trailers) after this many messages; -1: never. */
  streamFailAfter: number;
  /** Client streams are not read until `resumeUploads()` (an upstream that stops reading). */
  holdUploads: boolean;
}

/**
 * A real gRPC server (grpc-js, h2c on loopback) implementing Echo: unary echoes the text with its
 * metadata's `x-tag` and `x-bin-bin` back as trailers; streams count. Records calls and cancels.
 */
export class EchoServer {
  readonly server = new grpc.Server();
  port = 0;
  calls = 0;
  cancelled = 0;
  /** Server-stream messages written so far (each waits for the stream to take the last one). */
  streamed = 0;
  /** The deadline the last call arrived with, in ms from its arrival (Infinity: none). */
  lastDeadlineMs = Infinity;
  readonly behaviour: EchoBehaviour = { failNext: [], streamGapMs: 0, health: { '': 'SERVING' }, payloadBytes: 0, streamFailAfter: -1, holdUploads: false };
  /** Client-stream messages read so far. */
  uploaded = 0;
  private readonly held: grpc.ServerReadableStream<Msg, Msg>[] = [];
  healthChecks = 0;
  readonly name: string;

  constructor(name = 'echo', withHealth = true) {
    this.name = name;
    if (withHealth) {
      this.server.addService(health.grpc.health.v1.Health.service, {
        Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, cb: grpc.sendUnaryData<{ status: string }>) => {
          this.healthChecks++;
          cb(null, { status: this.behaviour.health[call.request.service] ?? 'SERVICE_UNKNOWN' });
        },
      });
    }
    this.server.addService(EchoClient.service, {
      Unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
        this.calls++;
        const fail = this.behaviour.failNext.shift();
        if (fail !== undefined) {
          cb({ code: fail, details: `${this.name} says ${grpc.status[fail]}` });
          return;
        }
        const trailer = new grpc.Metadata();
        trailer.set('x-served-by', this.name);
        const tag = call.metadata.get('x-tag')[0];
        if (tag !== undefined) trailer.set('x-tag-echo', String(tag));
        const bin = call.metadata.get('x-bin-bin')[0];
        if (bin !== undefined) trailer.set('x-bin-echo-bin', bin);
        cb(null, { text: `${this.name}: ${call.request.text}`, n: call.request.n }, trailer);
      },
      ServerStream: (call: grpc.ServerWritableStream<Msg, Msg>) => {
        this.calls++;
        const d = call.getDeadline();
        this.lastDeadlineMs = d === Infinity ? Infinity : Number(d) - Date.now();
        let i = 0;
        call.on('cancelled', () => this.cancelled++);
        const next = (): void => {
          if (call.cancelled) return;
          if (i === this.behaviour.streamFailAfter) {
            call.emit('error', { code: grpc.status.UNAVAILABLE, details: `${this.name} failed mid-stream` });
            return;
          }
          if (i >= call.request.n) {
            call.end();
            return;
          }
          const text = this.behaviour.payloadBytes > 0 ? 'x'.repeat(this.behaviour.payloadBytes) : call.request.text;
          this.streamed++;
          const more = call.write({ text, n: i++ });
          if (this.behaviour.streamGapMs > 0) setTimeout(next, this.behaviour.streamGapMs);
          else if (more) setImmediate(next);
          else call.once('drain', next); // backpressure: as a well-behaved server does
        };
        next();
      },
      ClientStream: (call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
        this.calls++;
        let sum = 0;
        let texts = '';
        call.on('cancelled', () => this.cancelled++);
        if (this.behaviour.holdUploads) {
          call.pause();
          this.held.push(call);
        }
        call.on('data', (m: Msg) => {
          this.uploaded++;
          sum += m.n;
          texts += m.text;
        });
        call.on('end', () => { cb(null, { text: texts, n: sum }); });
      },
      Bidi: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
        this.calls++;
        call.on('cancelled', () => this.cancelled++);
        call.on('data', (m: Msg) => call.write({ text: `echo ${m.text}`, n: m.n * 2 }));
        call.on('end', () => call.end());
      },
    });
  }

  /** Reads the client streams held by `holdUploads` again. */
  resumeUploads(): void {
    this.behaviour.holdUploads = false;
    for (const c of this.held.splice(0)) c.resume();
  }

  async start(): Promise<this> {
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) reject(err);
        else resolve(port);
      });
    });
    return this;
  }

  stop(): Promise<void> {
    return new Promise(resolve => { this.server.tryShutdown(() => { resolve(); }); });
  }
}

/** A grpc-js client for `address` (host:port), insecure (h2c). */
export function echoClient(address: string): Echo {
  return new EchoClient(address, grpc.credentials.createInsecure()) as Echo;
}

/** A unary call as a promise: the answer, or the ServiceError; with the trailers seen. */
export function unary(client: Echo, req: Msg, metadata = new grpc.Metadata(), options: grpc.CallOptions = {}): Promise<{ res?: Msg | undefined; err?: grpc.ServiceError; trailers?: grpc.Metadata | undefined }> {
  return new Promise(resolve => {
    let trailers: grpc.Metadata | undefined;
    const call = (client.Unary as (r: Msg, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: Msg) => void) => grpc.ClientUnaryCall)(req, metadata, options, (err, res) => {
      setImmediate(() => { resolve(err ? { err, trailers } : { res, trailers }); });
    });
    call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
  });
}

/** A server-streaming call on an Echo client. */
export function serverStream(client: Echo, req: Msg, options: grpc.CallOptions = {}): grpc.ClientReadableStream<Msg> {
  return (client.ServerStream as (r: Msg, o: grpc.CallOptions) => grpc.ClientReadableStream<Msg>)(req, options);
}

/** A server-streaming call read to its end: the messages, its status (0: OK) and how long it took. */
export function collectStream(client: Echo, req: Msg, options: grpc.CallOptions = {}): Promise<{ messages: Msg[]; code: number; ms: number }> {
  return new Promise(resolve => {
    const started = Date.now();
    const messages: Msg[] = [];
    const s = serverStream(client, req, options);
    s.on('data', (m: Msg) => messages.push(m));
    s.on('error', (e: grpc.ServiceError) => {
      resolve({ messages, code: e.code, ms: Date.now() - started });
    });
    s.on('end', () => {
      resolve({ messages, code: 0, ms: Date.now() - started });
    });
  });
}

export { grpc };
