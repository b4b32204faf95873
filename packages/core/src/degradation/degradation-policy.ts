import { DegradeMode, DegradeReason } from './degrade-mode.ts';
import { shedByLevel, type Priority } from './priority.ts';

/** A route's own degradation settings, from the gateway config. */
export interface RouteDegradationConfig {
  readonly priority: Priority;
  /** The mode used when the route is shed by level or an automatic trigger fires. */
  readonly degraded_mode: DegradeMode;
  /** Tried in order when a mode cannot serve (e.g. `[cache, default]`). */
  readonly fallback_chain: readonly DegradeMode[];
  readonly triggers: {
    readonly breaker_open: boolean;
    readonly no_healthy_host: boolean;
  };
  /** `shadow`: automatic triggers are counted but change nothing for clients. */
  readonly trigger_mode: 'enforce' | 'shadow';
}

/** One route override from a switch document (resolved; `expires_at` in epoch ms). */
export interface RouteSwitch {
  /** `normal` pins the route to normal service, overriding level shedding and triggers. */
  readonly mode: DegradeMode | 'normal';
  readonly reason: string;
  readonly actor: string;
  readonly expires_at?: number | undefined;
  readonly shadow: boolean;
}

/** The part of the switch document the policy needs. */
export interface SwitchState {
  readonly version: number;
  readonly global_level: number;
  readonly global_shadow: boolean;
  readonly routes: ReadonlyMap<string, RouteSwitch>;
}

export const EMPTY_SWITCHES: SwitchState = Object.freeze({
  version: 0,
  global_level: 0,
  global_shadow: false,
  routes: new Map<string, RouteSwitch>(),
});

/** Live automatic signals for a route at request time. */
export interface TriggerSignals {
  breakerOpen: boolean;
  noHealthyHost: boolean;
  ruleActive: boolean;
}

/** The verdict for one request. `degraded` false means serve normally. Reused by the caller. */
export interface DegradeDecision {
  degraded: boolean;
  mode: DegradeMode;
  reason: DegradeReason;
  level: number;
  /** True when the verdict would degrade but a shadow switch or rule says only count it. */
  shadow: boolean;
}

export function emptyDecision(): DegradeDecision {
  return { degraded: false, mode: DegradeMode.Reject, reason: DegradeReason.Switch, level: 0, shadow: false };
}

/**
 * Decides whether a request on a route is served degraded, and why. Precedence: an unexpired
 * per-route switch (operators win), then the global level by priority, then automatic triggers.
 * Expiry is checked against the wall clock at decision time, so an expired switch reverts on every
 * gateway at the same moment even if the store that wrote it is unreachable. Serving is not done
 * here: the gateway resolves the chain and answers.
 */
export function decideDegradation(
  route: string,
  cfg: RouteDegradationConfig,
  switches: SwitchState,
  signals: TriggerSignals,
  wallNowMs: number,
  out: DegradeDecision,
): DegradeDecision {
  out.degraded = false;
  out.shadow = false;
  out.level = switches.global_level;
  const sw = switches.routes.size > 0 ? switches.routes.get(route) : undefined;
  if (sw && (sw.expires_at === undefined || wallNowMs < sw.expires_at)) {
    if (sw.mode === 'normal') return out;
    return verdict(out, sw.mode, DegradeReason.Switch, sw.shadow);
  }
  if (shedByLevel(cfg.priority, switches.global_level)) {
    return verdict(out, cfg.degraded_mode, DegradeReason.Switch, switches.global_shadow);
  }
  const shadow = cfg.trigger_mode === 'shadow';
  if (signals.breakerOpen && cfg.triggers.breaker_open) return verdict(out, cfg.degraded_mode, DegradeReason.Breaker, shadow);
  if (signals.noHealthyHost && cfg.triggers.no_healthy_host) {
    return verdict(out, cfg.degraded_mode, DegradeReason.NoHealthyHost, shadow);
  }
  if (signals.ruleActive) return verdict(out, cfg.degraded_mode, DegradeReason.Rule, shadow);
  return out;
}

function verdict(out: DegradeDecision, mode: DegradeMode, reason: DegradeReason, shadow: boolean): DegradeDecision {
  out.mode = mode;
  out.reason = reason;
  out.shadow = shadow;
  out.degraded = !shadow;
  return out;
}

/** `x-brownout-degraded` header value. */
export function degradedHeader(d: DegradeDecision, mode: DegradeMode = d.mode): string {
  return `${mode}; level=${d.level}; reason=${d.reason}`;
}
