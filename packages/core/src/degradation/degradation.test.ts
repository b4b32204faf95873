import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, ScriptedRandom, SeededRandom } from '../testing/index.ts';
import { shedByLevel } from './priority.ts';
import type { Random } from '../random.ts';
import { resolveChain, type DegradeMode } from './degrade-mode.ts';
import {
  decideDegradation,
  degradedHeader,
  EMPTY_SWITCHES,
  emptyDecision,
  type RouteDegradationConfig,
  type RouteSwitch,
  type SwitchState,
  type TriggerSignals,
} from './degradation-policy.ts';
import { RULE_DEFAULTS, RuleTrigger, type RuleChange } from './rule-trigger.ts';

const route = (over: Partial<RouteDegradationConfig> = {}): RouteDegradationConfig => ({
  priority: 'normal',
  degraded_mode: 'cache',
  fallback_chain: ['default', 'reject'],
  triggers: { breaker_open: true, no_healthy_host: true },
  trigger_mode: 'enforce',
  ...over,
});
const quiet: TriggerSignals = { breakerOpen: false, noHealthyHost: false, ruleActive: false };
const switches = (level: number, routes: Record<string, RouteSwitch> = {}, shadow = false): SwitchState => ({
  version: 1,
  global_level: level,
  global_shadow: shadow,
  routes: new Map(Object.entries(routes)),
});

describe('shedByLevel', () => {
  it('sheds low first, never critical', () => {
    const table = [0, 1, 2, 3, 9].map(level => (['low', 'normal', 'high', 'critical'] as const).map(p => shedByLevel(p, level)));
    assert.deepEqual(table, [
      [false, false, false, false],
      [true, false, false, false],
      [true, true, false, false],
      [true, true, true, false],
      [true, true, true, false],
    ]);
  });
});

describe('decideDegradation', () => {
  it('serves normally with no switches and no triggers', () => {
    assert.equal(decideDegradation('r', route(), EMPTY_SWITCHES, quiet, 0, emptyDecision()).degraded, false);
  });

  it('global level sheds the route to its degraded mode by priority', () => {
    const d = decideDegradation('r', route({ priority: 'low' }), switches(1), quiet, 0, emptyDecision());
    assert.equal(d.degraded, true);
    assert.equal(d.mode, 'cache');
    assert.equal(degradedHeader(d), 'cache; level=1; reason=switch');
    assert.equal(decideDegradation('r', route({ priority: 'critical' }), switches(3), quiet, 0, emptyDecision()).degraded, false);
  });

  it('a route switch wins over the level, and `normal` pins a route against shedding and triggers', () => {
    const sw = (mode: RouteSwitch['mode']): RouteSwitch => ({ mode, reason: 'incident 42', actor: 'ana', shadow: false });
    const d = decideDegradation('r', route(), switches(0, { r: sw('reject') }), quiet, 0, emptyDecision());
    assert.equal(d.mode, 'reject');
    const pinned = decideDegradation('r', route({ priority: 'low' }), switches(3, { r: sw('normal') }), { ...quiet, breakerOpen: true }, 0, emptyDecision());
    assert.equal(pinned.degraded, false);
  });

  it('an expired switch reverts at exactly its expiry time, with no one acting', () => {
    const sw: RouteSwitch = { mode: 'default', reason: 'r', actor: 'a', shadow: false, expires_at: 1_000 };
    assert.equal(decideDegradation('r', route(), switches(0, { r: sw }), quiet, 999, emptyDecision()).degraded, true);
    assert.equal(decideDegradation('r', route(), switches(0, { r: sw }), quiet, 1_000, emptyDecision()).degraded, false);
  });

  it('automatic triggers degrade with their reason, and only when enabled for the route', () => {
    assert.equal(decideDegradation('r', route(), EMPTY_SWITCHES, { ...quiet, breakerOpen: true }, 0, emptyDecision()).reason, 'breaker');
    assert.equal(decideDegradation('r', route(), EMPTY_SWITCHES, { ...quiet, noHealthyHost: true }, 0, emptyDecision()).reason, 'no-healthy-host');
    assert.equal(decideDegradation('r', route(), EMPTY_SWITCHES, { ...quiet, ruleActive: true }, 0, emptyDecision()).reason, 'rule');
    const off = route({ triggers: { breaker_open: false, no_healthy_host: false } });
    assert.equal(decideDegradation('r', off, EMPTY_SWITCHES, { ...quiet, breakerOpen: true, noHealthyHost: true }, 0, emptyDecision()).degraded, false);
  });

  it('shadow switches and shadow triggers count without degrading', () => {
    const sw: RouteSwitch = { mode: 'reject', reason: 'dry run', actor: 'a', shadow: true };
    const d = decideDegradation('r', route(), switches(0, { r: sw }), quiet, 0, emptyDecision());
    assert.deepEqual([d.degraded, d.shadow, d.mode], [false, true, 'reject']);
    const t = decideDegradation('r', route({ trigger_mode: 'shadow' }), EMPTY_SWITCHES, { ...quiet, breakerOpen: true }, 0, emptyDecision());
    assert.deepEqual([t.degraded, t.shadow], [false, true]);
    const lvl = decideDegradation('r', route({ priority: 'low' }), switches(2, {}, true), quiet, 0, emptyDecision());
    assert.deepEqual([lvl.degraded, lvl.shadow], [false, true]);
  });
});

describe('resolveChain', () => {
  it('follows the chain past modes that cannot serve', () => {
    const can = (ok: DegradeMode[]) => (m: DegradeMode) => ok.includes(m);
    assert.equal(resolveChain('cache', ['default'], can(['cache'])), 'cache');
    assert.equal(resolveChain('cache', ['default'], can(['default'])), 'default');
    assert.equal(resolveChain('cache', ['fallback_service', 'default'], can([])), undefined);
    assert.equal(resolveChain('cache', ['default', 'reject'], can([])), 'reject', 'reject always serves');
  });
});

describe('RuleTrigger', () => {
  function rule(over: Partial<ConstructorParameters<typeof RuleTrigger>[0]> = {}, random: Random = new SeededRandom(3)) {
    const clock = new ManualClock();
    const r = new RuleTrigger({ ...RULE_DEFAULTS, metric: 'error_ratio', enter: 0.5, exit: 0.1, minimum_requests: 10, min_hold: 5_000, ...over }, clock, random);
    const changes: RuleChange[] = [];
    r.onChange(c => changes.push(c));
    return { clock, r, changes };
  }

  it('enters at the high mark only with enough volume', () => {
    const { r } = rule();
    for (let i = 0; i < 9; i++) r.record(true, 5);
    assert.equal(r.active, false);
    r.record(true, 5);
    assert.equal(r.active, true);
  });

  it('stays degraded between the marks and before min_hold, then recovers by itself', () => {
    const { r, clock, changes } = rule();
    for (let i = 0; i < 10; i++) r.record(true, 5);
    clock.advance(6_000);
    for (let i = 0; i < 10; i++) r.record(i < 3, 5); // 30% errors: below enter, above exit
    assert.equal(r.active, true, 'hysteresis holds between 10% and 50%');
    clock.advance(10_000); // window slides past those
    for (let i = 0; i < 5; i++) r.record(false, 5);
    assert.equal(r.active, false);
    assert.deepEqual(changes.map(c => c.active), [true, false]);
  });

  it('does not recover before min_hold even when probes succeed', () => {
    const { r, clock } = rule({ min_hold: 30_000 });
    for (let i = 0; i < 10; i++) r.record(true, 5);
    clock.advance(1_000);
    for (let i = 0; i < 20; i++) r.record(false, 5);
    assert.equal(r.active, true);
    clock.advance(29_000);
    for (let i = 0; i < 5; i++) r.record(false, 5);
    assert.equal(r.active, false);
  });

  it('latency rule uses mean latency in ms', () => {
    const { r, clock } = rule({ metric: 'latency', enter: 500, exit: 200, min_hold: 0, recovery_minimum_requests: 3 });
    for (let i = 0; i < 10; i++) r.record(false, 600);
    assert.equal(r.active, true);
    clock.advance(1);
    for (let i = 0; i < 3; i++) r.record(false, 100);
    assert.equal(r.active, false);
  });

  it('sends the configured share of requests upstream as probes while degraded', () => {
    const { r } = rule({ probe_percent: 10 }, new ScriptedRandom([0.05, 0.5]));
    assert.equal(r.shouldProbe(), true);
    assert.equal(r.shouldProbe(), false);
  });
});
