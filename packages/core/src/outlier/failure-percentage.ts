// Failure-percentage detection's two judgements that Envoy does not make: a request volume scaled
// to the traffic a cluster actually has, and a threshold relative to the cluster's other hosts.

/** The smallest request volume failure-percentage detection scales down to. */
export const MIN_SCALED_VOLUME = 20;

/**
 * The request volume a host needs in an interval for failure-percentage detection: the configured
 * one (Envoy's `failure_percentage_request_volume`, 50) when traffic allows, scaled down to half
 * the cluster's median per-host volume when it does not — a 1 s interval at 60 requests/s over
 * three hosts never reaches 50 — but never below MIN_SCALED_VOLUME, so a handful of requests cannot
 * eject a host by chance. `volumes`: this interval's request count of each host that had any.
 */
export function failurePercentageVolume(volumes: number[], configured: number): number {
  if (volumes.length === 0) return configured;
  volumes.sort((a, b) => a - b);
  const median = volumes[volumes.length >> 1]!;
  return Math.min(configured, Math.max(MIN_SCALED_VOLUME, Math.ceil(median / 2)));
}

/** The median failure percentage of every host in `rates` (success rates) but the one at `skip`. */
export function othersMedianFailure(rates: readonly number[], skip: number): number {
  const others: number[] = [];
  for (let i = 0; i < rates.length; i++) if (i !== skip) others.push(100 - rates[i]!);
  if (others.length === 0) return 0;
  others.sort((a, b) => a - b);
  const mid = others.length >> 1;
  return others.length % 2 === 1 ? others[mid]! : (others[mid - 1]! + others[mid]!) / 2;
}
