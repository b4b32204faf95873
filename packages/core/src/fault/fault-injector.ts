import { roll, type Random } from '../random.ts';

/**
 * Fault injection for one route (Envoy's fault filter). Percentages are 0–100. With `header_*`
 * set, clients may choose the status or delay through request headers, and may lower — never
 * raise — the configured percentage: that is what makes header faults safe on a public listener.
 */
export interface FaultConfig {
  readonly abort?: { readonly http_status: number; readonly percentage: number; readonly header_abort: boolean } | undefined;
  readonly delay?: { readonly fixed_delay: number; readonly percentage: number; readonly header_delay: boolean } | undefined;
  /** Cap on concurrently active faults across the route; Infinity when unset. */
  readonly max_active_faults: number;
}

export const FaultHeader = {
  Abort: 'x-brownout-fault-abort-request',
  AbortPercentage: 'x-brownout-fault-abort-request-percentage',
  Delay: 'x-brownout-fault-delay-request',
  DelayPercentage: 'x-brownout-fault-delay-request-percentage',
} as const;

/** What to do to one request; reused by the caller. 0 means "no such fault". */
export interface FaultDecision {
  delayMs: number;
  abortStatus: number;
  /** True when this request holds an active-fault slot that must be released when it ends. */
  active: boolean;
}

export interface FaultStats {
  delays_injected: number;
  aborts_injected: number;
  faults_overflow: number;
  active_faults: number;
}

export function emptyFaultDecision(): FaultDecision {
  return { delayMs: 0, abortStatus: 0, active: false };
}

export class FaultInjector {
  readonly stats: FaultStats = { delays_injected: 0, aborts_injected: 0, faults_overflow: 0, active_faults: 0 };
  private readonly cfg: FaultConfig;
  private readonly random: Random;

  constructor(config: FaultConfig, random: Random) {
    this.cfg = config;
    this.random = random;
  }

  /**
   * Rolls delay and abort independently (a delayed request may also be aborted, as in Envoy). Only
   * the first fault of a request takes an active-fault slot; over `max_active_faults` the fault is
   * skipped and counted as overflow.
   */
  decide(get: (name: string) => string | undefined, out: FaultDecision): FaultDecision {
    out.delayMs = 0;
    out.abortStatus = 0;
    out.active = false;
    const { delay, abort } = this.cfg;
    if (delay) {
      let ms = delay.fixed_delay;
      if (delay.header_delay) {
        const h = parseNonNegInt(get(FaultHeader.Delay));
        if (h !== undefined) ms = h;
      }
      const pct = this.percentage(delay.percentage, delay.header_delay, get(FaultHeader.DelayPercentage));
      if (ms > 0 && roll(this.random, pct) && this.tryActivate(out)) {
        out.delayMs = ms;
        this.stats.delays_injected++;
      }
    }
    if (abort) {
      let status = abort.http_status;
      if (abort.header_abort) {
        const h = parseNonNegInt(get(FaultHeader.Abort));
        if (h !== undefined && h >= 200 && h < 600) status = h;
      }
      const pct = this.percentage(abort.percentage, abort.header_abort, get(FaultHeader.AbortPercentage));
      if (status > 0 && roll(this.random, pct) && this.tryActivate(out)) {
        out.abortStatus = status;
        this.stats.aborts_injected++;
      }
    }
    return out;
  }

  /** Releases the active-fault slot held by a finished request. */
  release(decision: FaultDecision): void {
    if (decision.active) {
      decision.active = false;
      this.stats.active_faults--;
    }
  }

  private percentage(configured: number, headerAllowed: boolean, header: string | undefined): number {
    if (!headerAllowed) return configured;
    const h = parseNonNegInt(header);
    return h === undefined ? configured : Math.min(h, configured);
  }

  private tryActivate(out: FaultDecision): boolean {
    if (out.active) return true;
    if (this.stats.active_faults >= this.cfg.max_active_faults) {
      this.stats.faults_overflow++;
      return false;
    }
    this.stats.active_faults++;
    out.active = true;
    return true;
  }
}

function parseNonNegInt(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,9}$/.test(v)) return undefined;
  return Number(v);
}
