import type { Cancel, Clock } from '../clock.ts';

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires every timer that falls due, in due-time
 * order (insertion order on ties), with `now()` set to each timer's due time while it runs — the
 * way Envoy's SimulatedTimeSystem does — so timers scheduled by timers also fire if they fall due.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): Cancel {
    const timer: Timer = { due: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.current = next.due;
      next.fn();
    }
    this.current = target;
  }

  /** Moves time to the absolute instant `t` (must not be in the past). */
  advanceTo(t: number): void {
    if (t < this.current) throw new RangeError(`cannot move clock back from ${this.current} to ${t}`);
    this.advance(t - this.current);
  }

  /** Number of live (not cancelled, not fired) timers: lets tests prove nothing leaks. */
  pendingTimers(): number {
    return this.timers.filter(t => !t.cancelled).length;
  }

  private nextDue(limit: number): Timer | undefined {
    this.timers = this.timers.filter(t => !t.cancelled);
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.due > limit) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
