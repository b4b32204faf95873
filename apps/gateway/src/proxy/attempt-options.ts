import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { StreamedBody } from './streamed-body.ts';

/** A request option undici honours (lib/core/request.js) but its DispatchOptions type omits. */
interface UndiciServerName {
  servername: string | undefined;
}

/** undici's options for one attempt: the gateway's own timers bound it, undici's are backstops. */
export function attemptOptions(
  path: string,
  method: Dispatcher.HttpMethod,
  servername: string | undefined,
  headers: (string | string[] | undefined)[],
  body: Buffer | string | Readable | StreamedBody | null,
  remainingMs: number,
): Dispatcher.DispatchOptions & UndiciServerName {
  return {
    path,
    method,
    // undici reads it per request (its types leave it out); see HostPool.servername.
    servername,
    headers: headers as string[],
    // undici sends an async iterable body (lib/core/request.js, isIterable); its type leaves it out.
    body: body as NonNullable<Dispatcher.DispatchOptions['body']> | null,
    // Our timer bounds the wait for headers; undici's (1 s resolution) is only a backstop.
    headersTimeout: 0,
    // Keep the connection after a HEAD as after any other request (undici closes it by
    // default, in case a broken server sends a body); nginx and HAProxy keep it too.
    reset: false,
    // Idle bound between body chunks once streaming: a stalled body cannot hold the client forever.
    bodyTimeout: Number.isFinite(remainingMs) ? Math.max(1_000, Math.ceil(remainingMs)) : 0,
  };
}
