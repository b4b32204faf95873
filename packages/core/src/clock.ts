/**
 * Monotonic time and timers. Everything time-dependent in core takes a Clock (cf. Envoy's
 * TimeSource), so every algorithm can be tested by advancing a manual clock instead of sleeping.
 */
export interface Clock {
  /** Milliseconds from an arbitrary origin; only differences are meaningful. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. Returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): Cancel;
}

export type Cancel = () => void;

/** The longest delay Node's timers honour: beyond 2^31−1 ms they fire after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A delay safe to hand to setTimeout/setInterval: at least 1 ms, at most MAX_TIMER_MS, and never
 * NaN. The config schema already bounds every duration; this is the second line, so a bug or a
 * value from elsewhere can never turn a long wait into a 1 ms loop.
 */
export function timerDelay(ms: number): number {
  if (!(ms >= 1)) return 1;
  return ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, timerDelay(ms));
    // Engine timers (sweeps, health checks) must never keep a process alive on their own.
    t.unref();
    return () => {
      clearTimeout(t);
    };
  },
};
