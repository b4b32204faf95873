import { Transform, type Readable, type TransformCallback } from 'node:stream';

/** The streamed body went past the route's `max_request_body_bytes`: the client's doing (413). */
export class BodyTooLarge extends Error {
  readonly code = 'GW_ERR_BODY_TOO_LARGE';
}

/** The client's body stream failed (it hung up mid-upload): never the upstream's failure. */
export class ClientBodyFailed extends Error {
  readonly code = 'GW_ERR_CLIENT_BODY';
}

/**
 * A request body passed to the upstream as it arrives (route `buffer_request_body: false`),
 * counted against the route's limit on the way. Errors are re-labelled so the dispatcher can tell
 * them from upstream failures: undici reports a body stream's error as the attempt's error.
 * Memory per request is bounded by the stream's high-water mark (16 KiB), not the body size.
 */
export function streamedBody(source: Readable, limit: number): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
      seen += chunk.length;
      if (seen > limit) {
        done(new BodyTooLarge(`request body exceeds ${limit} bytes`));
        return;
      }
      done(null, chunk);
    },
  });
  source.on('error', err => {
    counter.destroy(new ClientBodyFailed(err.message));
  });
  source.on('aborted', () => {
    counter.destroy(new ClientBodyFailed('client aborted the upload'));
  });
  return source.pipe(counter);
}
