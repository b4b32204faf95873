/** Result of Envoy's success-rate statistics over the hosts that had enough volume. */
export interface SuccessRateStats {
  readonly average: number;
  readonly threshold: number;
}

/**
 * mean − (stdevFactor / 1000) × σ, with the POPULATION standard deviation as Envoy computes it.
 * Worked example from Envoy's source: rates {50,100,100,100,100} → mean 90, σ 20, threshold 52.
 */
export function successRateThreshold(rates: readonly number[], stdevFactor: number): SuccessRateStats {
  let sum = 0;
  for (const r of rates) sum += r;
  const mean = sum / rates.length;
  let variance = 0;
  for (const r of rates) variance += (r - mean) * (r - mean);
  variance /= rates.length;
  return { average: mean, threshold: mean - (stdevFactor / 1000) * Math.sqrt(variance) };
}
