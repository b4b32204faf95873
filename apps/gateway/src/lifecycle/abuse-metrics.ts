import { Counter, type Registry } from 'prom-client';
import type { AbuseReason, Http2AbuseHooks } from './http2-abuse.ts';

/** Client connections closed by the gateway's guards: HTTP/2 sessions closed for abuse by reason, connections refused at accept, send timeouts. */
export class AbuseMetrics implements Http2AbuseHooks {
  private readonly closed: Counter<'reason'>;
  private readonly refused: Counter;
  private readonly sendTimeouts: Counter;
  private readonly streamsRefused: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.closed = new Counter({ name: 'brownout_downstream_http2_sessions_closed_total', help: 'Client HTTP/2 sessions the gateway closed for abuse (GOAWAY ENHANCE_YOUR_CALM), by reason', labelNames: ['reason'], registers });
    this.sendTimeouts = new Counter({ name: 'brownout_downstream_send_timeouts_total', help: 'Client connections closed because the client took none of the bytes queued for it for listener.send_timeout', registers });
    this.streamsRefused = new Counter({ name: 'brownout_downstream_http2_streams_refused_total', help: 'Client HTTP/2 streams refused (RST_STREAM REFUSED_STREAM) because their client address had listener.http2_protocol_options.max_concurrent_streams_per_client in flight', registers });
    this.refused = new Counter({ name: 'brownout_downstream_connections_refused_total', help: 'Client connections closed at accept because the client address is in the abusive-client penalty box (listener.http2_protocol_options.abusive_client_penalty)', registers });
  }

  onAbuse(reason: AbuseReason): void {
    this.closed.labels(reason).inc();
  }

  onRefused(): void {
    this.refused.inc();
  }

  onStreamRefused(): void {
    this.streamsRefused.inc();
  }

  /** A connection closed because its client stopped taking what was sent (listener.send_timeout). */
  onSendTimeout(): void {
    this.sendTimeouts.inc();
  }
}
