import { clientKey } from './abusive-clients.ts';

/** One client address's HTTP/2 streams in flight, shared by all of its sessions. */
export interface ClientSlots {
  streams: number;
  sessions: number;
  readonly key: string;
}

/**
 * `listener.http2_protocol_options.max_concurrent_streams_per_client`: the streams one client
 * address may have in flight over all of its HTTP/2 sessions. `max_concurrent_streams` bounds one
 * session, but a client opens as many sessions as it likes: eight sessions that never open their
 * flow-control window (a zero-window client) held 800 answers, 800 upstream connections and
 * ~250 MB in the gateway. nginx counts each HTTP/2 stream against `limit_conn` the same way; Envoy
 * has no per-client bound (it leaves this to its overload manager).
 *
 * A stream over the limit is refused with RST_STREAM(REFUSED_STREAM) before it is admitted — the
 * code that tells a client the request was not processed and may be retried. The client's address
 * is looked up once per session, so a stream costs an increment and a decrement. An IPv6 client is
 * judged by its /64, as in the penalty box; trusted proxies are never limited (everyone behind one
 * shares its address).
 */
export class ClientStreams {
  private readonly clients = new Map<string, ClientSlots>();
  readonly limit: number;
  private readonly exempt: (remoteAddress: string) => boolean;

  constructor(limit: number, exempt: (remoteAddress: string) => boolean) {
    this.limit = limit;
    this.exempt = exempt;
  }

  /** The slots a new session's streams count against; undefined when its client is not limited. */
  open(remoteAddress: string | undefined): ClientSlots | undefined {
    if (this.limit <= 0 || !remoteAddress || this.exempt(remoteAddress)) return undefined;
    const key = clientKey(remoteAddress);
    let slots = this.clients.get(key);
    if (!slots) {
      slots = { streams: 0, sessions: 0, key };
      this.clients.set(key, slots);
    }
    slots.sessions++;
    return slots;
  }

  /** A session closed: the entry goes with its client's last session (its streams closed before it). */
  close(slots: ClientSlots): void {
    if (--slots.sessions <= 0) this.clients.delete(slots.key);
  }

  /** Takes a slot for a new stream; false when the client is at its limit. */
  take(slots: ClientSlots): boolean {
    if (slots.streams >= this.limit) return false;
    slots.streams++;
    return true;
  }

  release(slots: ClientSlots): void {
    slots.streams--;
  }

  /** Addresses being tracked (for tests). */
  get size(): number {
    return this.clients.size;
  }
}
