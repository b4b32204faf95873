import type { Random } from '../random.ts';

/** Deterministic PRNG (mulberry32): the same seed gives the same sequence on every run. */
export class SeededRandom implements Random {
  private state: number;
  constructor(seed = 1) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** Returns the given values in order, then repeats the last one: for asserting exact draws. */
export class ScriptedRandom implements Random {
  private i = 0;
  readonly draws: number[] = [];
  private readonly values: readonly number[];
  constructor(values: readonly number[]) {
    if (values.length === 0) throw new RangeError('ScriptedRandom needs at least one value');
    this.values = values;
  }
  next(): number {
    const v = this.values[Math.min(this.i++, this.values.length - 1)]!;
    this.draws.push(v);
    return v;
  }
}
