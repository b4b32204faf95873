import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMER_MS, systemClock, timerDelay } from './clock.ts';

describe('timer delays', () => {
  it('clamps what Node would turn into a 1 ms loop, and never passes NaN or 0', () => {
    assert.equal(timerDelay(9_999_999_999), MAX_TIMER_MS);
    assert.equal(timerDelay(Number.NaN), 1);
    assert.equal(timerDelay(0), 1);
    assert.equal(timerDelay(250), 250);
  });

  it('a huge delay on the system clock does not fire at once', async () => {
    let fired = 0;
    const cancel = systemClock.setTimer(() => fired++, 9_999_999_999);
    await new Promise(r => setTimeout(r, 30));
    cancel();
    assert.equal(fired, 0);
  });
});
