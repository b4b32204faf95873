import {
  CircuitBreaker,
  decideDegradation,
  emptyDecision,
  type Clock,
  type CircuitBreakerConfig,
  type DegradeDecision,
  type DegradeMode,
  type Priority,
  type RouteDegradationConfig,
  type SwitchState,
  type TriggerSignals,
} from '@brownout/core';

/** What a degradable call site does instead of the call, tried in the order of the chain. */
export interface EntryFallback<T> {
  /** A default value (the `default` mode). */
  readonly default?: T;
  /** Keep the last good value and serve it (the `cache` mode). */
  readonly cache?: boolean;
  /** Another way to get the answer (the `fallback_service` mode), e.g. a secondary provider. */
  readonly alternative?: () => Promise<T>;
}

export interface EntryOptions<T> {
  readonly fallback?: EntryFallback<T>;
  /** Level shedding, as for routes: 1 sheds low, 2 normal, 3 high; critical never. Default normal. */
  readonly priority?: Priority;
  /** The resource's breaker (core's CircuitBreaker; e.g. `{ type: 'RED', … }`). */
  readonly breaker?: Partial<CircuitBreakerConfig>;
}

/** Counts per resource, for the fleet status. */
export interface ResourceStats {
  calls: number;
  failures: number;
  degraded: number;
  /** Would have degraded, but the switch or level is in shadow: the call ran. */
  shadow: number;
  /** Answers served by a fallback (degraded, breaker open or the call failing). */
  fallbacks: number;
}

/**
 * One degradable call site (a "resource", named like a gateway route so the same switch document
 * steers both): its breaker, its last good value and its counters. Settings are taken from the
 * first `entry()` that names it.
 */
export class Resource {
  readonly name: string;
  readonly breaker: CircuitBreaker;
  readonly stats: ResourceStats = { calls: 0, failures: 0, degraded: 0, shadow: 0, fallbacks: 0 };
  readonly policy: RouteDegradationConfig;
  lastGood: unknown = undefined;
  hasLastGood = false;
  private readonly decision: DegradeDecision = emptyDecision();
  private readonly signals: TriggerSignals = { breakerOpen: false, noHealthyHost: false, ruleActive: false };

  constructor(name: string, opts: EntryOptions<unknown>, clock: Clock) {
    this.name = name;
    this.breaker = new CircuitBreaker(opts.breaker ?? {}, clock);
    const f = opts.fallback;
    const chain: DegradeMode[] = [];
    if (f?.cache) chain.push('cache');
    if (f?.alternative) chain.push('fallback_service');
    if (f && 'default' in f) chain.push('default');
    chain.push('reject');
    this.policy = Object.freeze({
      priority: opts.priority ?? 'normal',
      degraded_mode: chain[0]!,
      fallback_chain: chain.slice(1),
      triggers: { breaker_open: true, no_healthy_host: false },
      trigger_mode: 'enforce',
    });
  }

  /** The verdict for this call: switches, the level by priority, the breaker. Reuses one object. */
  decide(switches: SwitchState, nowMs: number): DegradeDecision {
    const b = this.breaker.current;
    this.signals.breakerOpen = b === 'open' || b === 'forced_open';
    return decideDegradation(this.name, this.policy, switches, this.signals, nowMs, this.decision);
  }
}
