import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

/** The libuv stream under a net.Socket: the bytes it could not hand to the kernel yet, and the bytes it has. */
interface StreamHandle {
  readonly writeQueueSize?: number;
  readonly bytesWritten?: number;
}

interface Watch {
  /** Bytes that left for the kernel, at the last sweep. */
  written: number;
  /** When the socket was first seen with bytes queued and none written since (0: it is not stalled). */
  stalledSince: number;
}

/**
 * nginx's `send_timeout` for the public listener: a connection whose client takes none of the
 * bytes queued for it for `timeoutMs` is destroyed. One sweep a second over the open connections
 * (no per-request timer): a socket is stalled when libuv still holds bytes the kernel would not
 * take (`writeQueueSize` of the socket's handle) and no byte has left since the last sweep
 * (`bytesWritten` less the queue). Both are read from the handle under the raw TCP socket, which HTTP/1.1, h2c, h2 and
 * TLS all write through — an HTTP/2 session writes from C++ past the JavaScript socket, so the
 * socket's own `writableLength` would always read 0 there. A client reading slowly still takes
 * bytes and is never cut.
 */
export class SendTimeouts {
  private readonly watched = new Map<Socket, Watch>();
  private readonly timeoutMs: () => number;
  private readonly onTimeout: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(server: EventEmitter, timeoutMs: () => number, onTimeout: () => void, now: () => number = Date.now, sweepMs = 1_000) {
    this.timeoutMs = timeoutMs;
    this.onTimeout = onTimeout;
    server.on('connection', (socket: Socket) => {
      if (socket.destroyed) return; // refused at accept
      this.watched.set(socket, { written: 0, stalledSince: 0 });
      socket.once('close', () => this.watched.delete(socket));
    });
    this.timer = setInterval(() => {
      this.sweep(now());
    }, sweepMs);
    this.timer.unref();
  }

  /** One pass over the open connections; destroys the ones stalled for the timeout. */
  sweep(now: number): void {
    const limit = this.timeoutMs();
    if (limit <= 0) return;
    for (const [socket, w] of this.watched) {
      const handle = (socket as unknown as { _handle: StreamHandle | null })._handle;
      const queued = handle?.writeQueueSize ?? 0;
      // bytesWritten counts what was handed to libuv, queued bytes included: what left is the difference.
      const written = (handle?.bytesWritten ?? 0) - queued;
      if (queued === 0 || written !== w.written) {
        w.written = written;
        w.stalledSince = 0;
      } else if (w.stalledSince === 0) {
        w.stalledSince = now;
      } else if (now - w.stalledSince >= limit) {
        this.watched.delete(socket);
        this.onTimeout();
        socket.destroy();
      }
    }
  }

  /** Connections being watched (for tests). */
  get size(): number {
    return this.watched.size;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
