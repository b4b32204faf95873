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

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Engine timers (sweeps, health checks) must never keep a process alive on their own.
    t.unref();
    return () => {
      clearTimeout(t);
    };
  },
};
