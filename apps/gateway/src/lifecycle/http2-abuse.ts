import { constants, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { AbusiveClients } from './abusive-clients.ts';
import type { ClientSlots, ClientStreams } from './client-streams.ts';

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
 * Streams refused inside nghttp2, watched from a timer. An HPACK bomb's streams are reset while
 * their header block is decoded (Node's header limits), so they never reach JavaScript and no event
 * fires for them; nghttp2 itself closes such a session only after ~1000 of them (~90 µs of decoding
 * each). The streams the client opened are still visible — `session.state.lastProcStreamID` — so a
 * session that opened REFUSED_MIN streams JavaScript never saw, and twice as many as it did see,
 * is closed like a rapid reset. Honest clients have no such streams (a header list over
 * max_header_bytes is one).
 *
 * Every session that read something is looked at every SWEEP_MS (a look costs about a
 * microsecond); a session in its first WATCH_YOUNG_MS, or one seen with a refused stream, every
 * WATCH_MS, on a timer that runs only while there is such a session. So a bomb costs ~10 ms of
 * decoding before its session is closed instead of ~90 ms, and a session that behaves before it
 * bombs is caught within SWEEP_MS and then watched closely.
 */
export const REFUSED_MIN = 20;
export const SWEEP_MS = 50;
export const WATCH_MS = 5;
export const WATCH_YOUNG_MS = 100;

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

export type AbuseReason = 'premature_reset' | 'refused_streams' | 'protocol_error' | 'invalid_frames';

interface SessionTally {
  /** The client's address, read when the session opens (its socket may be gone when it is judged). */
  readonly address: string | undefined;
  streams: number;
  premature: number;
  /** The session's socket's bytesRead at the last look. */
  bytesRead: number;
  /** Until when it is looked at every WATCH_MS (epoch ms). */
  watchedUntil: number;
  /** What its streams count against in max_concurrent_streams_per_client (undefined: not limited). */
  readonly slots: ClientSlots | undefined;
}

const tallies = new Map<Http2Session, SessionTally>();

export interface Http2AbuseHooks {
  /** A session was closed for abuse (counted by reason). */
  onAbuse(reason: AbuseReason): void;
  /** A connection was closed at accept because its client is in the penalty box. */
  onRefused(): void;
  /** A stream was refused because its client had max_concurrent_streams_per_client in flight. */
  onStreamRefused(): void;
}

/** Stops the guard's sweep (the gateway is closing). */
export type StopGuard = () => void;

export function guardHttp2Sessions(server: EventEmitter, clients: AbusiveClients, perClient: ClientStreams, hooks: Http2AbuseHooks): StopGuard {
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
    const address = session.socket.remoteAddress;
    const tally: SessionTally = { address, streams: 0, premature: 0, bytesRead: 0, watchedUntil: 0, slots: perClient.open(address) };
    tallies.set(session, tally);
    watch(session, tally, WATCH_YOUNG_MS);
    session.once('close', () => {
      tallies.delete(session);
      if (tally.slots) perClient.close(tally.slots);
    });
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
    const slots = tally.slots;
    const held = slots !== undefined && perClient.take(slots);
    if (slots && !held) {
      // Refused before admission (public-app.ts admits HTTP/2 streams a turn later and skips a
      // closed one): no upstream request, and REFUSED_STREAM tells the client it may retry.
      hooks.onStreamRefused();
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return; // the gateway's own refusal, not the client's premature reset
    }
    // A closure per stream, on purpose: by 'close' the stream has let go of its session
    // (stream.session is undefined), so a shared listener reading `this.session` counts nothing.
    stream.once('close', () => {
      if (held) perClient.release(slots);
      if (stream.headersSent || stream.rstCode === constants.NGHTTP2_NO_ERROR) return;
      tally.premature++;
      if (tally.premature >= PREMATURE_RESET_MIN && tally.premature * 2 >= tally.streams && !session.destroyed) abusive(session, tally, 'premature_reset');
    });
  });
  /** Looks at a session that read something since the last look; true when it has refused streams and is still open. */
  const look = (session: Http2Session, tally: SessionTally): boolean => {
    const read = session.socket.bytesRead;
    if (read === tally.bytesRead) return false;
    tally.bytesRead = read;
    // Client stream ids are odd and rise: id 2n-1 means n streams opened. The ones JavaScript
    // never saw were refused by Node or nghttp2 (at most one is still arriving, in CONTINUATIONs).
    const opened = ((session.state.lastProcStreamID ?? 0) + 1) >> 1;
    const refused = opened - tally.streams;
    if (refused >= REFUSED_MIN && refused * 2 >= opened) {
      abusive(session, tally, 'refused_streams');
      return false;
    }
    return refused > 0;
  };
  const watched = new Set<Http2Session>();
  let watching: NodeJS.Timeout | undefined;
  function watch(session: Http2Session, tally: SessionTally, ms: number): void {
    tally.watchedUntil = Date.now() + ms;
    watched.add(session);
    if (watching) return;
    watching = setInterval(() => {
      const now = Date.now();
      for (const s of watched) {
        const t = tallies.get(s);
        if (t && !s.destroyed && now <= t.watchedUntil) {
          look(s, t);
          continue;
        }
        watched.delete(s);
        if (t) t.watchedUntil = 0; // back to the slow sweep
      }
      if (watched.size === 0) {
        clearInterval(watching);
        watching = undefined;
      }
    }, WATCH_MS);
    watching.unref();
  }
  const sweep = setInterval(() => {
    for (const [session, tally] of tallies) {
      // Sessions being watched closely are left to the watch.
      if (tally.watchedUntil === 0 && !session.destroyed && look(session, tally)) watch(session, tally, SWEEP_MS * 4);
    }
  }, SWEEP_MS);
  sweep.unref();
  return () => {
    clearInterval(sweep);
    clearInterval(watching);
    watched.clear();
  };
}
