import type { Agent, Dispatcher } from 'undici';
import type { LegacyHandler } from '../proxy/attempt.ts';
import { httpStatusForGrpc, parseGrpcStatus, type Probe, type ProbeOutcome } from '@brownout/core';

export interface GrpcProbeOptions {
  /** The service asked about; '' is the whole server. */
  readonly serviceName: string;
  /** `:authority` of the check (the cluster's name by default, as Envoy). */
  readonly authority?: string | undefined;
  readonly tls?: boolean | undefined;
}

/** HealthCheckResponse.ServingStatus values (grpc/health/v1/health.proto). */
const SERVING = 1;
/** A health answer is a few bytes; anything longer is not one. */
const MAX_ANSWER = 1024;

/**
 * Envoy's `grpc_health_check`: `grpc.health.v1.Health/Check` on the cluster's own HTTP/2 agent.
 * The two messages are tiny (one string field out, one enum back), so they are written and read
 * here rather than through a protobuf library. SERVING counts as a 200; NOT_SERVING, an unknown
 * service or a missing health service (UNIMPLEMENTED) as failures.
 */
export class GrpcProbe implements Probe {
  private readonly request: Buffer;
  private readonly opts: GrpcProbeOptions;
  private readonly agent: Agent;
  private readonly clusterName: string;

  constructor(clusterName: string, opts: GrpcProbeOptions, agent: Agent) {
    this.clusterName = clusterName;
    this.opts = opts;
    this.agent = agent;
    // HealthCheckRequest { string service = 1; } in gRPC's length-prefixed framing.
    const service = Buffer.from(opts.serviceName, 'utf8');
    const message = service.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(service.length), service]);
    this.request = Buffer.concat([Buffer.from([0]), uint32(message.length), message]);
  }

  async check(address: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
    try {
      const a = await this.call(`${this.opts.tls ? 'https' : 'http'}://${address}:${port}`, signal);
      if (a.status !== 200) return { kind: 'http', status: a.status };
      // grpc-status: in the headers of a trailers-only answer, else in the trailers.
      const code = parseGrpcStatus(a.headerStatus ?? a.trailerStatus);
      if (code !== 0) return { kind: 'http', status: code < 0 ? 502 : httpStatusForGrpc(code) };
      return { kind: 'http', status: servingStatus(a.body) === SERVING ? 200 : 503 };
    } catch (err) {
      return { kind: 'network_failure', detail: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * One call through the agent's dispatcher: undici's request() drops HTTP/2 trailers (it parses
   * them as a list where h2 hands an object), and grpc-status lives there.
   */
  private call(origin: string, signal: AbortSignal): Promise<{ status: number; headerStatus?: string | undefined; trailerStatus?: string | undefined; body: Buffer }> {
    return new Promise((resolve, reject) => {
      let status = 0;
      let headerStatus: string | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      let abort: ((err: Error) => void) | undefined;
      const onAbort = (): void => abort?.(new Error('health check timed out'));
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        signal.removeEventListener('abort', onAbort);
      };
      const handler: LegacyHandler = {
        onConnect: (a: (err?: Error) => void) => {
          abort = a;
          if (signal.aborted) a(new Error('health check timed out'));
        },
        onHeaders: (code: number, raw: Buffer[]) => {
          status = code;
          headerStatus = headerValue(raw, 'grpc-status');
          return true;
        },
        onData: (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ANSWER) chunks.push(chunk);
          return true;
        },
        onComplete: (trailers: unknown) => {
          done();
          resolve({ status, headerStatus, trailerStatus: headerValue(trailers, 'grpc-status'), body: Buffer.concat(chunks) });
        },
        onError: (err: Error) => {
          done();
          reject(err);
        },
      };
      this.agent.dispatch(
        {
          origin,
          path: '/grpc.health.v1.Health/Check',
          method: 'POST',
          headers: { host: this.opts.authority ?? this.clusterName, 'content-type': 'application/grpc', te: 'trailers', 'user-agent': 'Brownout/HC' },
          body: this.request,
        },
        handler as unknown as Dispatcher.DispatchHandler,
      );
    });
  }
}

/** A header from undici's raw list (HTTP/1.1) or object (HTTP/2); undefined when absent. */
function headerValue(raw: unknown, name: string): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (Array.isArray(raw)) {
    const list = raw as (Buffer | string)[];
    for (let i = 0; i + 1 < list.length; i += 2) if (list[i]!.toString().toLowerCase() === name) return list[i + 1]!.toString();
    return undefined;
  }
  const v = (raw as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** The `status` field (1, varint) of a framed HealthCheckResponse; 0 (UNKNOWN) when absent or unreadable. */
function servingStatus(framed: Buffer): number {
  if (framed.length < 5 || framed[0] !== 0) return 0;
  const length = framed.readUInt32BE(1);
  const m = framed.subarray(5, 5 + length);
  for (let i = 0; i < m.length; ) {
    const tag = m[i++]!;
    if (tag === 0x08) return m[i] ?? 0; // ServingStatus values fit one varint byte
    // Skip any other field by its wire type (varint or length-delimited; others end the scan).
    if ((tag & 7) === 0) while (i < m.length && (m[i++]! & 0x80) !== 0);
    else if ((tag & 7) === 2) i += 1 + (m[i] ?? 0);
    else return 0;
  }
  return 0;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}
