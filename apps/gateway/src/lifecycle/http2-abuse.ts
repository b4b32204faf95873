import { constants, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { AbusiveClients } from './abusive-clients.ts';

/**
 * Envoy's premature-reset accounting (`premature_reset_total_stream_count`, CVE-2023-44487): a
 * session whose streams end mostly in a reset before any answer was sent — the client's rapid
 * reset, or streams Node itself refused — is closed with GOAWAY(ENHANCE_YOUR_CALM) and destroyed.
 * nghttp2's own rate limit lets a thousand resets through per connection first; with this guard a
 * session is closed after PREMATURE_RESET_MIN of them. (A stream reset in the same read that opened
 * it never reaches the upstream: public-app.ts admits HTTP/2 streams a turn later.) Reset streams
 * among normal traffic (a browser cancelling a fetch) stay far below half of a session's streams.
 */
export const PREMATURE_RESET_MIN = 50;

/**
 * Session errors that mean the client broke HTTP/2 on purpose or wholesale: nghttp2's flood and
 * protocol checks (SETTINGS/PING floods, CONTINUATION floods, compression errors, a session whose
 * streams keep being refused — an HPACK bomb) surface as ERR_HTTP2_ERROR, Node's invalid-frame
 * count (empty DATA frames among them) as ERR_HTTP2_TOO_MANY_INVALID_FRAMES. A reset or broken
 * socket (ECONNRESET, EPIPE) is a network event, not abuse.
 */
const ABUSE_ERRORS: Readonly<Record<string, AbuseReason>> = {
  ERR_HTTP2_ERROR: 'protocol_error',
  ERR_HTTP2_TOO_MANY_INVALID_FRAMES: 'invalid_frames',
};

export type AbuseReason = 'premature_reset' | 'protocol_error' | 'invalid_frames';

interface SessionTally {
  /** The client's address, read when the session opens (its socket may be gone when it is judged). */
  readonly address: string | undefined;
  streams: number;
  premature: number;
}

const tallies = new WeakMap<Http2Session, SessionTally>();

export interface Http2AbuseHooks {
  /** A session was closed for abuse (counted by reason). */
  onAbuse(reason: AbuseReason): void;
  /** A connection was closed at accept because its client is in the penalty box. */
  onRefused(): void;
}

export function guardHttp2Sessions(server: EventEmitter, clients: AbusiveClients, hooks: Http2AbuseHooks): void {
  // Appended after Node's own listener (which has already wrapped the socket): closing the raw
  // socket then is safe for h2c, TLS and HTTP/1.1 alike, and costs no handshake.
  server.on('connection', (socket: Socket) => {
    if (clients.refuses(socket.remoteAddress)) {
      hooks.onRefused();
      socket.destroy();
    }
  });
  const abusive = (session: Http2Session, tally: SessionTally, reason: AbuseReason): void => {
    hooks.onAbuse(reason);
    clients.strike(tally.address);
    if (!session.destroyed) {
      session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
      session.destroy();
    }
  };
  server.on('session', (session: Http2Session) => {
    const tally: SessionTally = { address: session.socket.remoteAddress, streams: 0, premature: 0 };
    tallies.set(session, tally);
    session.on('error', (err: NodeJS.ErrnoException) => {
      const reason = ABUSE_ERRORS[err.code ?? ''];
      if (reason) abusive(session, tally, reason);
    });
  });
  server.on('stream', (stream: ServerHttp2Stream) => {
    const session = stream.session;
    const tally = session && tallies.get(session);
    if (!tally) return;
    tally.streams++;
    stream.once('close', () => {
      if (stream.headersSent || stream.rstCode === constants.NGHTTP2_NO_ERROR) return;
      tally.premature++;
      if (tally.premature >= PREMATURE_RESET_MIN && tally.premature * 2 >= tally.streams && !session.destroyed) abusive(session, tally, 'premature_reset');
    });
  });
}
