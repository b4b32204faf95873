import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline, parseDeadlineHeader } from './deadline.ts';

describe('Deadline', () => {
  it('covers every attempt: a retry after 2.7s of a 3s budget gets 0.3s', () => {
    const d = new Deadline(1_000, 3_000);
    assert.equal(d.attemptTimeout(1_000, 0), 3_000);
    assert.equal(d.attemptTimeout(3_700, 0), 300);
    assert.equal(d.expired(3_999), false);
    assert.equal(d.expired(4_000), true);
    assert.equal(d.remaining(5_000), 0);
  });

  it('bounds attempts by per_try_timeout but never beyond the remaining budget', () => {
    const d = new Deadline(0, 1_000);
    assert.equal(d.attemptTimeout(0, 250), 250);
    assert.equal(d.attemptTimeout(900, 250), 100);
  });

  it('ignores a per-try timeout at or above the route timeout (Envoy)', () => {
    const d = new Deadline(0, 1_000);
    assert.equal(d.attemptTimeout(0, 1_000), 1_000);
    assert.equal(d.attemptTimeout(0, 5_000), 1_000);
  });

  it('honours a shorter incoming deadline and propagates a shorter one downstream', () => {
    const d = new Deadline(0, 15_000, 800);
    assert.equal(d.budget, 800);
    assert.equal(d.downstreamBudget(300, 0), 500);
    assert.equal(d.downstreamBudget(300, 200), 200);
    assert.equal(d.downstreamBudget(300, 200, true), 500, 'hedging forwards the whole remaining budget');
  });

  it('timeout 0 disables the route timeout', () => {
    const d = new Deadline(0, 0);
    assert.equal(d.budget, Infinity);
    assert.equal(d.downstreamBudget(10, 0), undefined);
    assert.equal(new Deadline(0, 0, 50).budget, 50);
  });

  it('parses the header strictly', () => {
    assert.equal(parseDeadlineHeader('250'), 250);
    assert.equal(parseDeadlineHeader('0'), 0);
    for (const bad of [undefined, '', '-1', '1.5', 'abc', '99999999999']) assert.equal(parseDeadlineHeader(bad), undefined);
  });
});
