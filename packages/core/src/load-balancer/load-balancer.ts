import { randomInt, type Random } from '../random.ts';
import type { Host } from '../host/host.ts';
import type { HostSet } from '../host/host-set.ts';
import { chooseSource, type SourceStats } from './host-source.ts';

/** The typed "nothing to send to" result: a frozen sentinel, so a pick never allocates. */
export const NO_HEALTHY_HOST: { readonly kind: 'no_healthy_host' } = Object.freeze({ kind: 'no_healthy_host' });
export type PickResult = Host | typeof NO_HEALTHY_HOST;

export function isNoHealthyHost(r: PickResult): r is typeof NO_HEALTHY_HOST {
  return r === NO_HEALTHY_HOST;
}

export const LbPolicy = { RoundRobin: 'ROUND_ROBIN', LeastRequest: 'LEAST_REQUEST', Random: 'RANDOM' } as const;
export type LbPolicy = (typeof LbPolicy)[keyof typeof LbPolicy];

export interface LoadBalancerConfig {
  readonly lb_policy: LbPolicy;
  /** Percent; default 50, 0 disables panic. */
  readonly healthy_panic_threshold: number;
  /** Least request: samples per pick (power of two choices by default). */
  readonly choice_count: number;
}

export const LB_DEFAULTS: LoadBalancerConfig = Object.freeze({
  lb_policy: LbPolicy.RoundRobin,
  healthy_panic_threshold: 50,
  choice_count: 2,
});

/**
 * Picks a host for one attempt. `avoid` lists hosts already tried by this request: the balancer
 * re-picks up to `maxAttempts` times to avoid them, and uses the last pick if every pick was one
 * of them (Envoy's previous_hosts predicate with host_selection_retry_max_attempts).
 */
export class LoadBalancer {
  readonly stats: SourceStats = { lb_healthy_panic: 0, upstream_cx_none_healthy: 0 };
  private readonly set: HostSet;
  private readonly random: Random;
  private cfg: LoadBalancerConfig;
  private rrIndex: number;
  private readonly weighted: boolean;
  /** Smooth weighted round-robin state per host index. */
  private readonly currentWeight: Float64Array;
  /** Cumulative weights of the last source, for weighted random sampling. */
  private cumSource: readonly Host[] | undefined;
  private cum: Float64Array = new Float64Array(0);

  constructor(set: HostSet, config: LoadBalancerConfig, random: Random) {
    this.set = set;
    this.cfg = config;
    this.random = random;
    // Each gateway starts at a random offset so a fleet does not hit host 0 in lockstep.
    this.rrIndex = randomInt(random, Math.max(1, set.hosts.length));
    this.weighted = set.hosts.some(h => h.weight !== set.hosts[0]!.weight);
    this.currentWeight = new Float64Array(set.hosts.length);
  }

  updateConfig(config: LoadBalancerConfig): void {
    this.cfg = config;
  }

  pick(avoid?: readonly Host[], maxAttempts = 1): PickResult {
    const source = chooseSource(this.set, this.cfg.healthy_panic_threshold, this.random, this.stats);
    if (source === undefined || source.length === 0) return NO_HEALTHY_HOST;
    let host = this.pickFrom(source);
    if (avoid && avoid.length > 0 && source.length > 1) {
      for (let i = 0; i < maxAttempts && avoid.includes(host); i++) host = this.pickFrom(source);
    }
    return host;
  }

  private pickFrom(source: readonly Host[]): Host {
    if (source.length === 1) return source[0]!;
    switch (this.cfg.lb_policy) {
      case LbPolicy.RoundRobin:
        return this.weighted ? this.smoothWeighted(source) : source[this.rrIndex++ % source.length]!;
      case LbPolicy.Random:
        return this.weighted ? this.weightedSample(source) : source[randomInt(this.random, source.length)]!;
      case LbPolicy.LeastRequest:
        return this.leastRequest(source);
    }
  }

  /**
   * nginx's smooth weighted round-robin: deterministic, spreads a heavy host's turns out instead of
   * bursting them. Envoy uses EDF scheduling; both give each host weight/total of the picks.
   */
  private smoothWeighted(source: readonly Host[]): Host {
    let total = 0;
    let best = source[0]!;
    let bestWeight = -Infinity;
    for (const h of source) {
      const cw = (this.currentWeight[h.index] = this.currentWeight[h.index]! + h.weight);
      total += h.weight;
      if (cw > bestWeight) {
        bestWeight = cw;
        best = h;
      }
    }
    this.currentWeight[best.index] = this.currentWeight[best.index]! - total;
    return best;
  }

  /** Power of `choice_count` choices: sample with replacement, keep the one with the fewest active requests per weight. */
  private leastRequest(source: readonly Host[]): Host {
    let best = this.weighted ? this.weightedSample(source) : source[randomInt(this.random, source.length)]!;
    for (let i = 1; i < this.cfg.choice_count; i++) {
      const c = this.weighted ? this.weightedSample(source) : source[randomInt(this.random, source.length)]!;
      if ((c.activeRequests + 1) / c.weight < (best.activeRequests + 1) / best.weight) best = c;
    }
    return best;
  }

  private weightedSample(source: readonly Host[]): Host {
    if (this.cumSource !== source) {
      this.cum = new Float64Array(source.length);
      let sum = 0;
      for (let i = 0; i < source.length; i++) this.cum[i] = sum += source[i]!.weight;
      this.cumSource = source;
    }
    const target = this.random.next() * this.cum[this.cum.length - 1]!;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cum[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return source[lo]!;
  }
}
