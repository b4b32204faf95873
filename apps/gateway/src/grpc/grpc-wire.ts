import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { FastifyReply } from 'fastify';
import { grpcStatusForHttp, httpStatusForGrpc, parseGrpcStatus } from '@brownout/core';
import { rawHeader } from '../proxy/raw-headers.ts';

/**
 * gRPC on the wire, as the gateway meets it: a request is gRPC when it comes over HTTP/2 with an
 * `application/grpc` content type (`+proto`, `+json` …). Such a caller understands nothing but
 * gRPC statuses: every answer the gateway makes itself is a trailers-only response (HTTP 200,
 * `grpc-status`, `grpc-message`), and the upstream's trailers are passed on as trailers.
 */
export function isGrpcRequest(httpVersionMajor: number, headers: IncomingHttpHeaders): boolean {
  const ct = headers['content-type'];
  return httpVersionMajor === 2 && ct !== undefined && ct.startsWith('application/grpc') && (ct.length === 16 || ct[16] === '+' || ct[16] === ';');
}

/** `grpc-message` is percent-encoded UTF-8 (only printable ASCII other than `%` goes as is). */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const b of Buffer.from(message, 'utf8')) out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/**
 * A gateway-made reply of `httpStatus` as a gRPC answer: HTTP 200, then trailers with the gRPC
 * status its HTTP status maps to (rate limits RESOURCE_EXHAUSTED, timeouts DEADLINE_EXCEEDED, the
 * rest of 5xx UNAVAILABLE) and the reply's text as `grpc-message`. Trailers, not a trailers-only
 * HEADERS frame: Node's compatibility response never ends the stream on its first HEADERS frame,
 * and grpc-js reads a status that is not in an END_STREAM frame as none at all (INTERNAL).
 * Returns the gRPC status sent.
 */
export function sendGrpcStatus(reply: FastifyReply, httpStatus: number, message: string): number {
  const code = grpcStatusForHttp(httpStatus);
  reply.code(200).header('content-type', 'application/grpc');
  (reply.raw as unknown as Http2ServerResponse).addTrailers({ 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) });
  void reply.send();
  return code;
}

/**
 * A configured gRPC answer (a route's `default_response.grpc`): a status and message, or with OK
 * one serialized response message in gRPC's length-prefixed framing (uncompressed). Returns the
 * gRPC status sent.
 */
export function sendGrpcAnswer(reply: FastifyReply, status: number, message: string, responseBase64: string | undefined): number {
  reply.code(200).header('content-type', 'application/grpc');
  (reply.raw as unknown as Http2ServerResponse).addTrailers({ 'grpc-status': String(status), ...(message !== '' && { 'grpc-message': encodeGrpcMessage(message) }) });
  if (responseBase64 === undefined) {
    void reply.send();
    return status;
  }
  const payload = Buffer.from(responseBase64, 'base64');
  const frame = Buffer.allocUnsafe(5 + payload.length);
  frame[0] = 0; // not compressed
  frame.writeUInt32BE(payload.length, 1);
  payload.copy(frame, 5);
  void reply.send(frame);
  return status;
}

/** Gives the reply about to be sent grpc-status OK in its trailers (a kept answer replayed). Returns the status. */
export function addGrpcOkTrailers(reply: FastifyReply): number {
  (reply.raw as unknown as Http2ServerResponse).addTrailers({ 'grpc-status': '0' });
  return 0;
}

/**
 * The status an upstream's gRPC answer counts as for outlier detection, the breaker and metrics: a
 * trailers-only answer carries `grpc-status` in its headers (UNAVAILABLE → 503 …); anything else
 * is judged by its HTTP status (its real outcome comes in the trailers).
 */
export function effectiveStatus(status: number, grpcStatus: number): number {
  return status !== 200 || grpcStatus < 0 ? status : httpStatusForGrpc(grpcStatus);
}

/**
 * A gRPC call judged by the status in its trailers (outlier detection, the breaker): its HTTP
 * equivalent, and no status at all as a broken answer (grpc-js reports INTERNAL) — a 502.
 */
export function trailersJudged(grpcStatus: number): number {
  return grpcStatus < 0 ? 502 : httpStatusForGrpc(grpcStatus);
}

/** `grpc-status` in an answer's headers (a trailers-only answer), -1 when absent. */
export function headerGrpcStatus(raw: Buffer[]): number {
  return parseGrpcStatus(rawHeader(raw, 'grpc-status'));
}

/**
 * Passes the upstream's trailers to the client's HTTP/2 stream: set before the body ends, Node
 * sends them in the closing HEADERS frame. undici hands them over as a flat name/value list from
 * HTTP/1.1 and as an object from HTTP/2. Values are kept byte for byte (`-bin` trailers are base64
 * text already); pseudo-headers and connection-specific names are not trailers.
 */
export function forwardTrailers(res: Http2ServerResponse, trailers: readonly (Buffer | string)[] | Readonly<Record<string, string | string[] | undefined>> | null): number {
  if (trailers === null) return -1;
  const out: OutgoingHttpHeaders = {};
  const add = (rawName: string, value: string | string[]): void => {
    const name = rawName.toLowerCase();
    if (name.startsWith(':') || name === 'connection' || name === 'transfer-encoding' || name === 'keep-alive') return;
    const prev = out[name];
    out[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [String(prev)]), ...(Array.isArray(value) ? value : [value])];
  };
  if (Array.isArray(trailers)) {
    const list = trailers as readonly (Buffer | string)[];
    for (let i = 0; i + 1 < list.length; i += 2) add(list[i]!.toString(), list[i + 1]!.toString());
  } else {
    const record = trailers as Readonly<Record<string, string | string[] | undefined>>;
    for (const k in record) {
      const v = record[k];
      if (v !== undefined) add(k, v);
    }
  }
  res.addTrailers(out);
  const status = out['grpc-status'];
  return parseGrpcStatus(typeof status === 'string' ? status : undefined);
}
