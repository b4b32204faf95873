import type { Readable } from 'node:stream';

/** The streamed body went past the route's `max_request_body_bytes`: the client's doing (413). */
export class BodyTooLarge extends Error {
  readonly code = 'GW_ERR_BODY_TOO_LARGE';
}

/** The client's body stream failed (it hung up mid-upload): never the upstream's failure. */
export class ClientBodyFailed extends Error {
  readonly code = 'GW_ERR_CLIENT_BODY';
}

/** A body undici sends as it is produced: a streamed request's chunks. */
export type StreamedBody = AsyncIterable<Buffer>;

/**
 * A request body passed to the upstream as it arrives (route `buffer_request_body: false`),
 * counted against the route's limit on the way. Errors are re-labelled so the dispatcher can tell
 * them from upstream failures: undici reports a body's failure as the attempt's error. Memory per
 * request is one chunk at a time (undici waits for the upstream to take each one: backpressure).
 *
 * An async iterable, not a stream: undici pipes a stream body into its HTTP/2 stream, and when
 * that body errors with data still queued (a body over the limit), undici closes the h2 stream and
 * its pipeline then destroys it — on Node 20 that leaves the session's native writer copying
 * frames forever, 100% CPU and unbounded memory (test/grpc.test.ts, upload over the limit). An
 * iterable that throws takes undici's other path: one abort, no pipeline.
 */
export async function* streamedBody(source: Readable, limit: number): StreamedBody {
  let seen = 0;
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await chunks.next();
    } catch (err) {
      throw new ClientBodyFailed(err instanceof Error ? err.message : 'client aborted the upload');
    }
    if (next.done === true) return;
    seen += next.value.length;
    // The source is left as it is (not destroyed), so the 413 can still be written on its connection.
    if (seen > limit) throw new BodyTooLarge(`request body exceeds ${limit} bytes`);
    yield next.value;
  }
}
