import { Counter, type Registry } from 'prom-client';
import type { AbuseReason, Http2AbuseHooks } from './http2-abuse.ts';

/** What the HTTP/2 abuse guard did, counted: sessions closed by reason, connections refused at accept. */
export class AbuseMetrics implements Http2AbuseHooks {
  private readonly closed: Counter<'reason'>;
  private readonly refused: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.closed = new Counter({ name: 'brownout_downstream_http2_sessions_closed_total', help: 'Client HTTP/2 sessions the gateway closed for abuse (GOAWAY ENHANCE_YOUR_CALM), by reason', labelNames: ['reason'], registers });
    this.refused = new Counter({ name: 'brownout_downstream_connections_refused_total', help: 'Client connections closed at accept because the client address is in the abusive-client penalty box (listener.http2_protocol_options.abusive_client_penalty)', registers });
  }

  onAbuse(reason: AbuseReason): void {
    this.closed.labels(reason).inc();
  }

  onRefused(): void {
    this.refused.inc();
  }
}
