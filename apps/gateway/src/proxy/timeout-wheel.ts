/** Something that can time out; `timeoutAt` is cleared (set to 0) by its owner when it no longer applies. */
export interface Expirable {
  timeoutAt: number;
  onTimeout(): void;
}

/**
 * One shared timer for all attempt timeouts instead of a setTimeout per attempt. Entries go into
 * slots of `resolutionMs` by due time; a single interval, running only while entries exist, fires
 * the due slots. Cancelling is setting `timeoutAt = 0` — no list surgery on the request path.
 * Fires at most `resolutionMs` late, never early.
 */
export class TimeoutWheel {
  private readonly slots = new Map<number, Expirable[]>();
  private readonly resolution: number;
  private timer: NodeJS.Timeout | undefined;
  private lastSlot = 0;

  constructor(resolutionMs = 5) {
    this.resolution = resolutionMs;
  }

  add(e: Expirable, delayMs: number, now: number): void {
    e.timeoutAt = now + delayMs;
    const slot = Math.ceil(e.timeoutAt / this.resolution);
    let list = this.slots.get(slot);
    if (!list) {
      list = [];
      this.slots.set(slot, list);
    }
    list.push(e);
    if (!this.timer) {
      this.lastSlot = Math.floor(now / this.resolution);
      this.timer = setInterval(this.tick, this.resolution);
      this.timer.unref();
    }
  }

  private readonly tick = (): void => {
    const now = performance.now();
    const current = Math.floor(now / this.resolution);
    for (let s = this.lastSlot + 1; s <= current; s++) {
      const list = this.slots.get(s);
      if (!list) continue;
      this.slots.delete(s);
      for (const e of list) {
        if (e.timeoutAt !== 0 && e.timeoutAt <= now) {
          e.timeoutAt = 0;
          e.onTimeout();
        }
      }
    }
    this.lastSlot = current;
    if (this.slots.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  };

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.slots.clear();
  }
}
