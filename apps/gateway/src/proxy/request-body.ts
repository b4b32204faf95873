import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { RouteConfig } from '@brownout/core/config';
import { LOCAL_REPLIES, resetReply } from '../pipeline/local-reply.ts';
import { streamedBody, type StreamedBody } from './streamed-body.ts';
import { UpstreamFailure } from './upstream-failure.ts';

/**
 * Buffers the request body (bounded by the route) so that a retry can replay it. Over the limit
 * it stops reading — without destroying the socket, so the 413 can still be written (with
 * `connection: close`).
 */
export function bufferBody(stream: Readable, limit: number, declared: number): Promise<Buffer> {
  // With a declared length (already checked against the limit) the body is copied into one
  // buffer as it arrives: peak memory is the body once, not chunks plus their concatenation.
  return new Promise((resolve, reject) => {
    let body: Buffer;
    const chunks: Buffer[] = [];
    let size = 0;
    const whole = declared > 0 && declared <= limit ? Buffer.allocUnsafe(declared) : undefined;
    let filled = 0;
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (b: Buffer): void => {
      size += b.length;
      if (size > limit) {
        cleanup();
        stream.pause();
        reject(new UpstreamFailure(LOCAL_REPLIES.payloadTooLarge));
        return;
      }
      // Node's parser holds a body to its content-length; the chunk list is only a fallback.
      if (whole && chunks.length === 0 && size <= whole.length) {
        b.copy(whole, size - b.length);
        filled = size;
      } else {
        chunks.push(b);
      }
    };
    const onEnd = (): void => {
      cleanup();
      if (whole && chunks.length === 0 && filled === whole.length) body = whole;
      else if (whole) body = Buffer.concat([whole.subarray(0, filled), ...chunks]);
      else body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      resolve(body);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/** The declared content-length of the request (reply-from's header copy), or -1. */
export function contentLength(headers: Dispatcher.DispatchOptions['headers']): number {
  const v = (headers as Record<string, string | string[] | undefined> | null | undefined)?.['content-length'];
  if (typeof v !== 'string') return -1;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

/** Who waits for a request body: told once, when it is ready or has failed. */
export interface BodyOwner {
  bodyReady(body: Buffer | string | Readable | StreamedBody | null | undefined, streaming: boolean): void;
  bodyFailed(failure: UpstreamFailure): void;
}

/**
 * The body the attempts send, as the route wants it: streamed to the first attempt
 * (`buffer_request_body: false`: nothing can be retried), buffered so a retry can replay it, or
 * already in memory — each bounded by `max_request_body_bytes` (413).
 */
export function prepareRequestBody(body: unknown, route: RouteConfig, headers: Dispatcher.DispatchOptions['headers'], owner: BodyOwner): void {
  if (body instanceof Readable && !route.buffer_request_body) {
    owner.bodyReady(streamedBody(body, route.max_request_body_bytes), true);
  } else if (body instanceof Readable) {
    bufferBody(body, route.max_request_body_bytes, contentLength(headers)).then(
      buffered => {
        owner.bodyReady(buffered, false);
      },
      (err: unknown) => {
        owner.bodyFailed(err instanceof UpstreamFailure ? err : new UpstreamFailure(resetReply('request body read failed', false, false)));
      },
    );
  } else {
    const inMemory = body as string | Buffer | null | undefined;
    if (inMemory && Buffer.byteLength(inMemory) > route.max_request_body_bytes) owner.bodyFailed(new UpstreamFailure(LOCAL_REPLIES.payloadTooLarge));
    else owner.bodyReady(inMemory, false);
  }
}
