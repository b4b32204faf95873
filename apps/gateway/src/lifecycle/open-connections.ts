import type { Socket } from 'node:net';
import type { Http2Session } from 'node:http2';
import type { EventEmitter } from 'node:events';

/**
 * The public listener's connections for a drain, where Node's HTTP/2 server does not track them
 * itself (it has no closeIdleConnections/closeAllConnections, and on Node 20 `close()` leaves open
 * sessions running): HTTP/2 sessions get a GOAWAY when the drain starts — streams in flight finish,
 * new ones go elsewhere — and whatever is still open at the deadline is destroyed.
 */
export class OpenConnections {
  private readonly sessions = new Set<Http2Session>();
  private readonly sockets = new Set<Socket>();

  constructor(server: EventEmitter) {
    server.on('session', (s: Http2Session) => {
      this.sessions.add(s);
      s.once('close', () => this.sessions.delete(s));
    });
    // Every TCP connection: HTTP/1.1 ones on an ALPN listener (allowHTTP1) as well as the sessions'
    // (destroying the TCP socket ends a TLS one on top of it).
    server.on('connection', (sock: Socket) => {
      this.sockets.add(sock);
      sock.once('close', () => this.sockets.delete(sock));
    });
  }

  /** Start of a drain: GOAWAY on every HTTP/2 session (Node's graceful session close). */
  goAway(): void {
    for (const s of this.sessions) if (!s.closed && !s.destroyed) s.close();
  }

  /** End of a drain: nothing stays open. */
  destroyAll(): void {
    for (const s of this.sessions) s.destroy();
    for (const sock of this.sockets) sock.destroy();
  }
}
