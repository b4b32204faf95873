import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TimeoutWheel, type Expirable } from '../src/proxy/timeout-wheel.ts';

function entry(log: number[], start: number): Expirable {
  return {
    timeoutAt: 0,
    onTimeout() {
      log.push(performance.now() - start);
    },
  };
}

describe('TimeoutWheel', () => {
  it('fires never early and at most one resolution step late; cancelled entries never fire', async () => {
    const wheel = new TimeoutWheel(5);
    const fired: number[] = [];
    const cancelled: number[] = [];
    const start = performance.now();
    for (let i = 0; i < 50; i++) wheel.add(entry(fired, start), 30, start);
    const c = entry(cancelled, start);
    wheel.add(c, 30, start);
    c.timeoutAt = 0;
    await new Promise(r => setTimeout(r, 80));
    assert.equal(fired.length, 50);
    assert.equal(cancelled.length, 0);
    for (const t of fired) assert.ok(t >= 30 && t < 60, `fired after ${t.toFixed(1)}ms`);
    wheel.close();
  });

  it('stops its interval when nothing is pending, and restarts on demand', async () => {
    const wheel = new TimeoutWheel(5);
    const fired: number[] = [];
    wheel.add(entry(fired, performance.now()), 5, performance.now());
    await new Promise(r => setTimeout(r, 30));
    assert.equal((wheel as unknown as { timer: unknown }).timer, undefined);
    wheel.add(entry(fired, performance.now()), 5, performance.now());
    await new Promise(r => setTimeout(r, 30));
    assert.equal(fired.length, 2);
    wheel.close();
  });
});
