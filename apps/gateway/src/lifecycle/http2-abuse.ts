import { constants, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { EventEmitter } from 'node:events';

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

interface SessionTally {
  streams: number;
  premature: number;
}

const tallies = new WeakMap<Http2Session, SessionTally>();

export function guardHttp2Sessions(server: EventEmitter, onAbuse: (reason: 'premature_reset') => void): void {
  server.on('stream', (stream: ServerHttp2Stream) => {
    const session = stream.session;
    if (!session) return;
    let tally = tallies.get(session);
    if (!tally) {
      tally = { streams: 0, premature: 0 };
      tallies.set(session, tally);
    }
    tally.streams++;
    stream.once('close', () => {
      if (stream.headersSent || stream.rstCode === constants.NGHTTP2_NO_ERROR) return;
      tally.premature++;
      if (tally.premature >= PREMATURE_RESET_MIN && tally.premature * 2 >= tally.streams && !session.destroyed) {
        onAbuse('premature_reset');
        session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
        session.destroy();
      }
    });
  });
}
