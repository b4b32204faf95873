import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as flush } from 'node:timers/promises';
import { ManualClock, SeededRandom } from '../testing/index.ts';
import { Host } from '../host/host.ts';
import { HostSet } from '../host/host-set.ts';
import { HealthFlag } from '../host/health-flag.ts';
import { HealthChecker, type HealthCheckEvent } from './health-checker.ts';
import { resolveHealthCheckConfig, type HealthCheckInput } from './health-check-config.ts';
import type { Probe, ProbeOutcome } from './probe.ts';

/** A probe whose answer per port the test sets; `hang` never answers (only the timeout ends it). */
class ScriptedProbe implements Probe {
  answers = new Map<number, ProbeOutcome | 'hang'>();
  calls: { port: number; at: number }[] = [];
  aborted = 0;
  private readonly clock: ManualClock;
  constructor(clock: ManualClock) {
    this.clock = clock;
  }
  check(_address: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
    this.calls.push({ port, at: this.clock.now() });
    const a = this.answers.get(port) ?? { kind: 'http', status: 200 };
    if (a === 'hang') {
      return new Promise((_, reject) => {
        signal.addEventListener('abort', () => {
          this.aborted++;
          reject(new Error('aborted'));
        });
      });
    }
    return Promise.resolve(a);
  }
}

async function advance(clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await flush();
}

function setup(cfg: Partial<HealthCheckInput> = {}, hostCount = 1) {
  const clock = new ManualClock();
  const hosts = Array.from({ length: hostCount }, (_, i) => new Host({ address: '127.0.0.1', port: 9000 + i }));
  const set = new HostSet(hosts);
  const probe = new ScriptedProbe(clock);
  const config = resolveHealthCheckConfig({ timeout: 1_000, interval: 5_000, unhealthy_threshold: 3, healthy_threshold: 2, ...cfg });
  const hc = new HealthChecker(set, config, probe, clock, new SeededRandom(3));
  const events: HealthCheckEvent[] = [];
  hc.onResult(e => events.push(e));
  hc.markTraffic();
  return { clock, hosts, host: hosts[0]!, set, probe, hc, events };
}

describe('HealthChecker', () => {
  it('starts hosts failed and makes them healthy on the first pass, whatever healthy_threshold says', async () => {
    const { hc, host, clock, set } = setup({ healthy_threshold: 5 });
    hc.start();
    assert.equal(host.has(HealthFlag.FailedActiveHc), true);
    assert.equal(set.healthy.length, 0);
    await advance(clock, 0);
    assert.equal(host.has(HealthFlag.FailedActiveHc), false);
    assert.equal(set.healthy.length, 1);
  });

  it('needs unhealthy_threshold consecutive network failures, then healthy_threshold passes', async () => {
    const { hc, host, clock, probe, events } = setup();
    hc.start();
    await advance(clock, 0);
    probe.answers.set(9000, { kind: 'network_failure' });
    await advance(clock, 5_000);
    await advance(clock, 5_000);
    assert.equal(host.has(HealthFlag.FailedActiveHc), false, 'two failures < threshold 3');
    assert.equal(events.at(-1)!.transition, 'change_pending');
    await advance(clock, 5_000);
    assert.equal(host.has(HealthFlag.FailedActiveHc), true);
    probe.answers.set(9000, { kind: 'http', status: 200 });
    await advance(clock, 5_000);
    assert.equal(host.has(HealthFlag.FailedActiveHc), true, 'one pass < healthy_threshold 2');
    await advance(clock, 5_000);
    assert.equal(host.has(HealthFlag.FailedActiveHc), false);
    assert.equal(hc.stats.network_failure, 3);
  });

  it('fails at once on a definite bad status (503) but counts retriable statuses', async () => {
    const a = setup({ retriable_statuses: [{ start: 429, end: 430 }] });
    a.hc.start();
    await advance(a.clock, 0);
    a.probe.answers.set(9000, { kind: 'http', status: 429 });
    await advance(a.clock, 5_000);
    assert.equal(a.host.has(HealthFlag.FailedActiveHc), false);
    a.probe.answers.set(9000, { kind: 'http', status: 503 });
    await advance(a.clock, 5_000);
    assert.equal(a.host.has(HealthFlag.FailedActiveHc), true);
  });

  it('a success resets the failure count (counters reset each other)', async () => {
    const { hc, host, clock, probe } = setup();
    hc.start();
    await advance(clock, 0);
    for (let i = 0; i < 10; i++) {
      probe.answers.set(9000, i % 3 === 2 ? { kind: 'http', status: 200 } : { kind: 'network_failure' });
      await advance(clock, 5_000);
    }
    assert.equal(host.has(HealthFlag.FailedActiveHc), false);
  });

  it('times out a hung probe, aborts it, and marks active_hc_timeout once failed', async () => {
    const { hc, host, clock, probe } = setup({ unhealthy_threshold: 1 });
    hc.start();
    await advance(clock, 0);
    probe.answers.set(9000, 'hang');
    await advance(clock, 5_000);
    await advance(clock, 999);
    assert.equal(host.has(HealthFlag.FailedActiveHc), false);
    await advance(clock, 1);
    assert.equal(probe.aborted, 1);
    assert.equal(host.has(HealthFlag.FailedActiveHc), true);
    assert.equal(host.has(HealthFlag.ActiveHcTimeout), true);
  });

  it('schedules the next check after the current one completes, using the edge and unhealthy intervals', async () => {
    const { hc, clock, probe } = setup({
      interval: 5_000,
      unhealthy_interval: 20_000,
      unhealthy_edge_interval: 1_000,
      healthy_edge_interval: 2_000,
      unhealthy_threshold: 2,
    });
    hc.start();
    await advance(clock, 0); // t=0 pass → next at 5000
    probe.answers.set(9000, { kind: 'network_failure' });
    await advance(clock, 5_000); // fail 1 (pending) → edge 1000
    await advance(clock, 1_000); // fail 2 → unhealthy → 20000
    probe.answers.set(9000, { kind: 'http', status: 200 });
    await advance(clock, 20_000); // pass 1 (pending healthy) → healthy edge 2000
    await advance(clock, 2_000); // pass 2 → healthy → 5000
    await advance(clock, 5_000);
    assert.deepEqual(probe.calls.map(c => c.at), [0, 5_000, 6_000, 26_000, 28_000, 33_000]);
  });

  it('uses no_traffic_interval until the cluster carries traffic', async () => {
    const clock = new ManualClock();
    const host = new Host({ address: '127.0.0.1', port: 9000 });
    const probe = new ScriptedProbe(clock);
    const hc = new HealthChecker(
      new HostSet([host]),
      resolveHealthCheckConfig({ timeout: 1_000, interval: 5_000, unhealthy_threshold: 3, healthy_threshold: 2 }),
      probe,
      clock,
      new SeededRandom(1),
    );
    hc.start();
    await advance(clock, 0);
    await advance(clock, 59_999);
    assert.equal(probe.calls.length, 1);
    await advance(clock, 1);
    assert.equal(probe.calls.length, 2);
    hc.markTraffic();
    await advance(clock, 5_000); // the pending 60s timer was armed before traffic
    assert.equal(probe.calls.length, 2);
    await advance(clock, 55_000);
    await advance(clock, 5_000);
    assert.equal(probe.calls.length, 4);
  });

  it('applies interval jitter within [interval, interval + jitter)', () => {
    const { hc } = setup({ interval_jitter: 1_000, interval_jitter_percent: 10 });
    for (let i = 0; i < 200; i++) {
      const v = hc.nextInterval(true, 'unchanged');
      assert.ok(v >= 5_000 && v < 5_000 + 500 + 1_000, `interval ${v}`);
    }
  });

  it('marks degraded hosts and un-marks them', async () => {
    const { hc, host, clock, probe, set } = setup();
    hc.start();
    probe.answers.set(9000, { kind: 'http', status: 200, degraded: true });
    await advance(clock, 0);
    assert.equal(host.has(HealthFlag.DegradedActiveHc), true);
    assert.equal(set.degraded.length, 1);
    probe.answers.set(9000, { kind: 'http', status: 200 });
    await advance(clock, 5_000);
    assert.equal(set.healthy.length, 1);
  });

  it('excludes new hosts until their first check when configured', async () => {
    const { hc, host, clock, set } = setup({ ignore_new_hosts_until_first_hc: true });
    hc.start();
    assert.equal(set.excluded, 1);
    await advance(clock, 0);
    assert.equal(host.has(HealthFlag.PendingActiveHc), false);
    assert.equal(set.excluded, 0);
  });

  it('an immediate-fail from the data plane fails and excludes the host until active checks pass', async () => {
    const { hc, host, clock, set } = setup({ healthy_threshold: 1 });
    hc.start();
    await advance(clock, 0);
    hc.setUnhealthyImmediately(host);
    assert.equal(host.has(HealthFlag.FailedActiveHc), true);
    assert.equal(set.excluded, 1);
    assert.equal(hc.stats.passive_failure, 1);
    await advance(clock, 5_000);
    assert.equal(host.flags, 0);
  });

  it('stop() cancels every timer and in-flight probe', async () => {
    const { hc, clock, probe } = setup();
    hc.start();
    await advance(clock, 0);
    probe.answers.set(9000, 'hang');
    await advance(clock, 5_000);
    hc.stop();
    await flush();
    assert.equal(probe.aborted, 1);
    assert.equal(clock.pendingTimers(), 0);
    await advance(clock, 100_000);
    assert.equal(probe.calls.length, 2);
  });
});
