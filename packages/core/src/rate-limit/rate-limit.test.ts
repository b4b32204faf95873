import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as flush } from 'node:timers/promises';
import { ManualClock } from '../testing/index.ts';
import { TokenBucket } from './token-bucket.ts';
import { emptyRateLimitResult, KeyedRateLimiter, type RateLimitResult } from './keyed-rate-limiter.ts';
import { FailOpenLimiter, type DistributedRateLimiter } from './distributed-limiter.ts';

describe('TokenBucket', () => {
  it('starts full and refuses once empty', () => {
    const b = new TokenBucket({ max_tokens: 3, tokens_per_fill: 1, fill_interval: 1_000 }, 0);
    assert.equal([1, 2, 3, 4].map(() => b.consume(0)).join(), 'true,true,true,false');
  });

  it('refills continuously between fill ticks: 10 per second gives a token every 100 ms', () => {
    const b = new TokenBucket({ max_tokens: 10, tokens_per_fill: 10, fill_interval: 1_000 }, 0);
    for (let i = 0; i < 10; i++) assert.equal(b.consume(0), true);
    assert.equal(b.consume(99), false);
    assert.equal(b.msUntil(99), 1);
    assert.equal(b.consume(100), true);
    assert.equal(b.consume(150), false);
    assert.ok(Math.abs(b.available(150) - 0.5) < 1e-9);
  });

  it('never exceeds capacity however long it idles', () => {
    const b = new TokenBucket({ max_tokens: 5, tokens_per_fill: 1, fill_interval: 10 }, 0);
    assert.equal(b.available(1e9), 5);
    b.consume(1e9, 5);
    assert.equal(b.consume(1e9), false);
  });

  it('consumes several tokens at once only if all are there', () => {
    const b = new TokenBucket({ max_tokens: 5, tokens_per_fill: 5, fill_interval: 1_000 }, 0);
    assert.equal(b.consume(0, 4), true);
    assert.equal(b.consume(0, 2), false);
    assert.equal(b.msUntil(0, 2), 200);
  });
});

describe('KeyedRateLimiter', () => {
  it('keeps a separate bucket per key', () => {
    const l = new KeyedRateLimiter({ max_tokens: 1, tokens_per_fill: 1, fill_interval: 1_000 });
    const r = emptyRateLimitResult();
    assert.equal(l.check('a', 0, r).allowed, true);
    assert.equal(l.check('a', 0, r).allowed, false);
    assert.equal(r.resetMs, 1_000);
    assert.equal(l.check('b', 0, r).allowed, true);
  });

  it('bounds the key table, evicting the least recently used key', () => {
    const l = new KeyedRateLimiter({ max_tokens: 1, tokens_per_fill: 1, fill_interval: 60_000 }, 2);
    const r = emptyRateLimitResult();
    l.check('a', 0, r);
    l.check('b', 0, r);
    l.check('a', 1, r); // a is now most recent
    l.check('c', 2, r); // evicts b
    assert.equal(l.size, 2);
    assert.equal(l.evictions, 1);
    assert.equal(l.check('a', 3, r).allowed, false, 'a kept its empty bucket');
    assert.equal(l.check('b', 3, r).allowed, true, 'b was evicted and starts full');
  });

  it('keeps a busy client through a flood of one-off keys', () => {
    const l = new KeyedRateLimiter({ max_tokens: 2, tokens_per_fill: 1, fill_interval: 60_000 }, 4);
    const r = emptyRateLimitResult();
    l.check('busy', 0, r);
    for (let i = 0; i < 100; i++) {
      l.check(`flood-${i}`, 1, r);
      l.check('busy', 1, r); // still in use between every new key
      if (i === 0) assert.equal(r.allowed, true, 'second token');
    }
    assert.equal(l.size, 4);
    assert.equal(l.evictions, 97);
    assert.equal(l.check('busy', 2, r).allowed, false, 'busy kept its drained bucket: never evicted');
  });

  it('evicts even when every key was used since the hand last passed', () => {
    const l = new KeyedRateLimiter({ max_tokens: 1, tokens_per_fill: 1, fill_interval: 60_000 }, 3);
    const r = emptyRateLimitResult();
    for (const k of ['a', 'b', 'c']) l.check(k, 0, r);
    for (const k of ['a', 'b', 'c']) l.check(k, 0, r);
    l.check('d', 0, r);
    assert.equal(l.size, 3);
    assert.equal(l.evictions, 1);
    assert.equal(l.check('a', 0, r).allowed, true, 'the oldest (a) went once every bit was cleared');
  });
});

describe('FailOpenLimiter', () => {
  const result = (allowed: boolean): RateLimitResult => ({ allowed, limit: 10, remaining: 0, resetMs: 0 });

  it('passes the backend answer through when it is fast', async () => {
    const clock = new ManualClock();
    const l = new FailOpenLimiter({ check: () => Promise.resolve(result(false)) }, clock, 20);
    assert.equal((await l.check('k')).allowed, false);
    assert.equal(l.stats.over_limit, 1);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('fails open when the backend errors or is slower than the bound', async () => {
    const clock = new ManualClock();
    let hang!: (r: RateLimitResult) => void;
    const slow: DistributedRateLimiter = { check: () => new Promise(r => (hang = r)) };
    const l = new FailOpenLimiter(slow, clock, 20);
    const p = l.check('k');
    clock.advance(19);
    await flush();
    clock.advance(1);
    assert.equal((await p).allowed, true);
    hang(result(false)); // a late answer changes nothing
    assert.equal(l.stats.failure_mode_allowed, 1);
    const broken = new FailOpenLimiter({ check: () => Promise.reject(new Error('ECONNREFUSED')) }, clock, 20);
    assert.equal((await broken.check('k')).allowed, true);
  });

  it('fails closed when configured so', async () => {
    const l = new FailOpenLimiter({ check: () => Promise.reject(new Error('down')) }, new ManualClock(), 20, 'closed');
    assert.equal((await l.check('k')).allowed, false);
    assert.equal(l.stats.failure_mode_denied, 1);
  });
});
