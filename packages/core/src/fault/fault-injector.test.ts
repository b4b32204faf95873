import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedRandom, SeededRandom } from '../testing/index.ts';
import { emptyFaultDecision, FaultHeader, FaultInjector } from './fault-injector.ts';

const none = (): undefined => undefined;
const headers = (h: Record<string, string>) => (n: string) => h[n];

describe('FaultInjector', () => {
  it('aborts roughly the configured share of requests', () => {
    const f = new FaultInjector({ abort: { http_status: 503, percentage: 30, header_abort: false }, max_active_faults: Infinity }, new SeededRandom(9));
    let aborted = 0;
    const d = emptyFaultDecision();
    for (let i = 0; i < 10_000; i++) {
      if (f.decide(none, d).abortStatus === 503) aborted++;
      f.release(d);
    }
    assert.ok(aborted > 2_800 && aborted < 3_200, `aborted ${aborted}`);
    assert.equal(f.stats.active_faults, 0);
  });

  it('rolls delay and abort independently; one request holds one active slot', () => {
    const f = new FaultInjector(
      { delay: { fixed_delay: 200, percentage: 50, header_delay: false }, abort: { http_status: 500, percentage: 50, header_abort: false }, max_active_faults: Infinity },
      new ScriptedRandom([0.1, 0.2]),
    );
    const d = f.decide(none, emptyFaultDecision());
    assert.equal(d.delayMs, 200);
    assert.equal(d.abortStatus, 500);
    assert.equal(f.stats.active_faults, 1);
  });

  it('0% never fires and 100% always fires', () => {
    const never = new FaultInjector({ abort: { http_status: 500, percentage: 0, header_abort: false }, max_active_faults: Infinity }, new SeededRandom(1));
    const always = new FaultInjector({ abort: { http_status: 500, percentage: 100, header_abort: false }, max_active_faults: Infinity }, new SeededRandom(1));
    for (let i = 0; i < 100; i++) {
      assert.equal(never.decide(none, emptyFaultDecision()).abortStatus, 0);
      assert.equal(always.decide(none, emptyFaultDecision()).abortStatus, 500);
    }
  });

  it('lets headers pick the status and delay, and lower but never raise the percentage', () => {
    const f = new FaultInjector(
      { abort: { http_status: 503, percentage: 10, header_abort: true }, delay: { fixed_delay: 0, percentage: 100, header_delay: true }, max_active_faults: Infinity },
      new ScriptedRandom([0.05, 0.5, 0.05]),
    );
    const d = f.decide(headers({ [FaultHeader.Abort]: '418', [FaultHeader.Delay]: '50', [FaultHeader.AbortPercentage]: '100' }), emptyFaultDecision());
    assert.equal(d.delayMs, 50);
    assert.equal(d.abortStatus, 418, 'roll 5 < min(100, 10)');
    const e = f.decide(headers({ [FaultHeader.Abort]: '418', [FaultHeader.AbortPercentage]: '100' }), emptyFaultDecision());
    assert.equal(e.abortStatus, 0, 'roll 50 ≥ 10: the header could not raise the percentage');
    const g = f.decide(headers({ [FaultHeader.Abort]: '418', [FaultHeader.AbortPercentage]: '1' }), emptyFaultDecision());
    assert.equal(g.abortStatus, 0, 'roll 5 ≥ 1: the header lowered it');
  });

  it('ignores fault headers when the route does not enable them', () => {
    const f = new FaultInjector({ abort: { http_status: 503, percentage: 0, header_abort: false }, max_active_faults: Infinity }, new SeededRandom(1));
    assert.equal(f.decide(headers({ [FaultHeader.Abort]: '500', [FaultHeader.AbortPercentage]: '100' }), emptyFaultDecision()).abortStatus, 0);
  });

  it('skips faults over max_active_faults and counts the overflow', () => {
    const f = new FaultInjector({ delay: { fixed_delay: 100, percentage: 100, header_delay: false }, max_active_faults: 2 }, new SeededRandom(1));
    const a = f.decide(none, emptyFaultDecision());
    f.decide(none, emptyFaultDecision());
    assert.equal(f.decide(none, emptyFaultDecision()).delayMs, 0);
    assert.equal(f.stats.faults_overflow, 1);
    f.release(a);
    assert.equal(f.decide(none, emptyFaultDecision()).delayMs, 100);
  });
});
