import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { SendTimeouts } from './send-timeout.ts';

/** A connection as the sweep sees it: its handle's write queue and byte count, set by the test. */
class FakeSocket extends EventEmitter {
  _handle: { writeQueueSize: number; bytesWritten: number } | null = { writeQueueSize: 0, bytesWritten: 0 };
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
    this._handle = null;
    this.emit('close');
  }
  /** The gateway hands `n` bytes to libuv, of which the client takes `taken`. */
  send(n: number, taken: number): void {
    this._handle!.bytesWritten += n;
    this._handle!.writeQueueSize += n - taken;
  }
  /** The client takes `n` queued bytes. */
  take(n: number): void {
    this._handle!.writeQueueSize -= n;
  }
}

function setup(timeoutMs: number): { timeouts: SendTimeouts; connect: () => FakeSocket; cut: () => number; limit: { ms: number } } {
  const server = new EventEmitter();
  const limit = { ms: timeoutMs };
  let cut = 0;
  const timeouts = new SendTimeouts(server, () => limit.ms, () => cut++, () => 0, 3_600_000);
  timeouts.close(); // the test sweeps by hand
  return {
    timeouts,
    connect: () => {
      const s = new FakeSocket();
      server.emit('connection', s);
      return s;
    },
    cut: () => cut,
    limit,
  };
}

describe('SendTimeouts', () => {
  it('cuts a connection that takes none of its queued bytes for the timeout, and counts it', () => {
    const { timeouts, connect, cut } = setup(2_000);
    const s = connect();
    s.send(100_000, 60_000);
    timeouts.sweep(0); // first look: bytes left since the last one
    timeouts.sweep(1_000); // nothing left since: stalled from here
    timeouts.sweep(2_999);
    assert.equal(s.destroyed, false, 'not before the timeout');
    timeouts.sweep(3_000);
    assert.equal(s.destroyed, true);
    assert.equal(cut(), 1);
    assert.equal(timeouts.size, 0, 'no longer watched');
  });

  it('never cuts a slow reader: any byte leaving restarts the clock', () => {
    const { timeouts, connect } = setup(2_000);
    const s = connect();
    s.send(1_000_000, 0);
    for (let t = 0; t < 60_000; t += 1_000) {
      if (t % 1_500 === 0) s.take(1); // one byte every 1.5 s
      timeouts.sweep(t);
    }
    assert.equal(s.destroyed, false);
  });

  it('never cuts a connection with nothing queued, however long it is idle', () => {
    const { timeouts, connect } = setup(1_000);
    const s = connect();
    s.send(5_000, 5_000);
    for (let t = 0; t < 600_000; t += 1_000) timeouts.sweep(t);
    assert.equal(s.destroyed, false);
  });

  it('0 turns it off, and a new value applies at the next sweep', () => {
    const { timeouts, connect, limit } = setup(0);
    const s = connect();
    s.send(10, 0);
    for (let t = 0; t < 10_000; t += 1_000) timeouts.sweep(t);
    assert.equal(s.destroyed, false, 'off');
    limit.ms = 1_000;
    timeouts.sweep(10_000);
    timeouts.sweep(11_000);
    timeouts.sweep(12_000);
    assert.equal(s.destroyed, true, 'on after a reload');
  });

  it('forgets closed connections and ignores ones refused at accept', () => {
    const { timeouts, connect } = setup(1_000);
    const a = connect();
    connect();
    assert.equal(timeouts.size, 2);
    a.destroy();
    assert.equal(timeouts.size, 1);
    const server = new EventEmitter();
    const t = new SendTimeouts(server, () => 1_000, () => undefined);
    t.close();
    const refused = new FakeSocket();
    refused.destroyed = true;
    server.emit('connection', refused);
    assert.equal(t.size, 0);
  });
});
