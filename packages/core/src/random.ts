/** Source of randomness, injected so jitter and percentage rolls are reproducible in tests. */
export interface Random {
  /** A float uniformly distributed in [0, 1). */
  next(): number;
}

export const systemRandom: Random = { next: () => Math.random() };

/** Uniform integer in [0, n). `n <= 0` yields 0 (Envoy's `random() % (x + 1)` idiom with x = -1 never occurs). */
export function randomInt(random: Random, n: number): number {
  if (n <= 0) return 0;
  return Math.floor(random.next() * n);
}

/**
 * Envoy's `runtime.featureEnabled(key, pct)`: true with probability pct/100. 0 never fires and 100
 * always fires without consuming a random draw, so tests of enforced/not-enforced stay exact.
 */
export function roll(random: Random, percent: number): boolean {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  return random.next() * 100 < percent;
}
