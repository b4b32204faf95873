import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientStreams } from './client-streams.ts';

// max_concurrent_streams_per_client on its own: who shares a budget, who never is limited, and
// that nothing is left behind when a client's sessions are gone.

describe('ClientStreams', () => {
  it('one budget over all of a client address\'s sessions; a neighbour has its own', () => {
    const limits = new ClientStreams(3, () => false);
    const a = limits.open('203.0.113.7')!;
    const b = limits.open('203.0.113.7')!;
    const other = limits.open('203.0.113.8')!;
    assert.equal(limits.take(a), true);
    assert.equal(limits.take(b), true);
    assert.equal(limits.take(a), true);
    assert.equal(limits.take(b), false, 'the fourth stream over two sessions is refused');
    assert.equal(limits.take(other), true, 'a neighbour is not limited by it');
    limits.release(a);
    assert.equal(limits.take(b), true, 'a stream that closed frees its slot for any session of the client');
  });

  it('an IPv6 client is judged by its /64, an IPv4-mapped address as IPv4', () => {
    const limits = new ClientStreams(1, () => false);
    assert.equal(limits.take(limits.open('2001:db8:1:2::1')!), true);
    assert.equal(limits.take(limits.open('2001:db8:1:2:ffff::9')!), false, 'same /64');
    assert.equal(limits.take(limits.open('2001:db8:1:3::1')!), true, 'another /64');
    assert.equal(limits.take(limits.open('192.0.2.1')!), true);
    assert.equal(limits.take(limits.open('::ffff:192.0.2.1')!), false, 'the same IPv4 client');
  });

  it('trusted proxies, unknown addresses and a limit of 0 are never limited', () => {
    const limits = new ClientStreams(1, a => a === '10.0.0.1');
    assert.equal(limits.open('10.0.0.1'), undefined);
    assert.equal(limits.open(undefined), undefined);
    assert.equal(new ClientStreams(0, () => false).open('203.0.113.7'), undefined);
  });

  it('forgets a client with its last session, and a late release of a forgotten entry harms no one', () => {
    const limits = new ClientStreams(1, () => false);
    const a = limits.open('203.0.113.7')!;
    const b = limits.open('203.0.113.7')!;
    assert.equal(limits.take(a), true);
    limits.close(a);
    assert.equal(limits.size, 1, 'still one session open');
    limits.close(b);
    assert.equal(limits.size, 0);
    const fresh = limits.open('203.0.113.7')!;
    limits.release(a); // a stream of the closed session closing after it
    assert.equal(limits.take(fresh), true);
    assert.equal(limits.take(fresh), false, 'the new entry counts its own streams only');
  });
});
