import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AbusiveClients, clientKey } from './abusive-clients.ts';

// The penalty box on its own, with an injected clock: who is refused, for how long, and who never is.

describe('AbusiveClients', () => {
  const make = (exempt: (a: string) => boolean = () => false) => {
    let t = 1_000_000;
    const box = new AbusiveClients(10_000, exempt, () => t);
    return { box, advance: (ms: number) => (t += ms) };
  };

  it('forgives one abusive session, refuses after the second, and lets the client back once the penalty has passed since the last', () => {
    const { box, advance } = make();
    box.strike('203.0.113.7');
    assert.equal(box.refuses('203.0.113.7'), false, 'one strike is a buggy client, not an attack');
    advance(9_000);
    box.strike('203.0.113.7');
    assert.equal(box.refuses('203.0.113.7'), true);
    assert.equal(box.refuses('203.0.113.8'), false, 'a neighbour is not refused');
    advance(9_999);
    assert.equal(box.refuses('203.0.113.7'), true, 'counted from the last strike, not the first');
    advance(1);
    assert.equal(box.refuses('203.0.113.7'), false);
    box.strike('203.0.113.7');
    assert.equal(box.refuses('203.0.113.7'), false, 'after the penalty the count starts again');
  });

  it('strikes further apart than the penalty never add up', () => {
    const { box, advance } = make();
    for (let i = 0; i < 5; i++) {
      box.strike('198.51.100.1');
      advance(10_000);
    }
    assert.equal(box.refuses('198.51.100.1'), false);
  });

  it('never refuses a trusted proxy (that would refuse everyone behind it)', () => {
    const { box } = make(a => a === '10.0.0.1');
    for (let i = 0; i < 10; i++) box.strike('10.0.0.1');
    assert.equal(box.refuses('10.0.0.1'), false);
  });

  it('judges IPv6 by its /64 and IPv4-mapped addresses as IPv4', () => {
    const { box } = make();
    box.strike('2001:db8:1:2::1');
    box.strike('2001:db8:1:2:ffff:ffff:ffff:ffff');
    assert.equal(box.refuses('2001:0db8:0001:0002::abcd'), true, 'another address in the same /64');
    assert.equal(box.refuses('2001:db8:1:3::1'), false, 'the next /64');
    box.strike('::ffff:192.0.2.1');
    box.strike('192.0.2.1');
    assert.equal(box.refuses('::ffff:192.0.2.1'), true);
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(clientKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  });

  it('stays bounded: a flood of addresses evicts the oldest, never grows past the bound', () => {
    const { box } = make();
    box.strike('192.0.2.200');
    box.strike('192.0.2.200');
    for (let i = 0; i < AbusiveClients.MAX_ENTRIES; i++) box.strike(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(box.refuses('192.0.2.200'), false, 'the oldest entry made room');
    assert.equal((box as unknown as { entries: Map<string, unknown> }).entries.size, AbusiveClients.MAX_ENTRIES);
  });

  it('is off at 0', () => {
    let t = 0;
    const box = new AbusiveClients(0, () => false, () => t++);
    for (let i = 0; i < 5; i++) box.strike('192.0.2.9');
    assert.equal(box.refuses('192.0.2.9'), false);
  });
});
