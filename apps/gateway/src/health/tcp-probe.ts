import { connect } from 'node:net';
import type { Probe, ProbeOutcome } from '@brownout/core';

/**
 * Active TCP health check: connect-only by default; with `send`/`receive` (hex, as Envoy) it
 * writes the payload and succeeds once every expected block has been seen in order.
 */
export class TcpProbe implements Probe {
  private readonly send: Buffer | undefined;
  private readonly receive: Buffer | undefined;

  constructor(send?: string, receive?: string) {
    this.send = send ? Buffer.from(send, 'hex') : undefined;
    this.receive = receive ? Buffer.from(receive, 'hex') : undefined;
  }

  check(address: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
    return new Promise(resolve => {
      const socket = connect({ host: address, port, signal });
      let received = Buffer.alloc(0);
      const done = (o: ProbeOutcome): void => {
        socket.destroy();
        resolve(o);
      };
      socket.once('error', err => {
        done({ kind: 'network_failure', detail: err.message });
      });
      socket.once('connect', () => {
        if (!this.receive) {
          done({ kind: 'connected' });
          return;
        }
        if (this.send) socket.write(this.send);
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (this.receive && received.includes(this.receive)) done({ kind: 'connected', bodyMatched: true });
      });
      socket.once('end', () => {
        done({ kind: 'network_failure', detail: 'connection closed before the expected payload' });
      });
    });
  }
}
