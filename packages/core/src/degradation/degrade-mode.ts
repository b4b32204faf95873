/**
 * How a degraded route answers. `cache`: the last good response; `default`: the product-defined
 * fallback response; `fallback_service`: another cluster; `reject`: a fast 503 with Retry-After.
 */
export const DegradeMode = {
  Cache: 'cache',
  Default: 'default',
  FallbackService: 'fallback_service',
  Reject: 'reject',
} as const;
export type DegradeMode = (typeof DegradeMode)[keyof typeof DegradeMode];
export const DEGRADE_MODES: readonly DegradeMode[] = Object.values(DegradeMode);

/** Why a route is degraded; goes into `x-brownout-degraded: <mode>; level=<n>; reason=<reason>`. */
export const DegradeReason = {
  Switch: 'switch',
  Breaker: 'breaker',
  NoHealthyHost: 'no-healthy-host',
  Rule: 'rule',
  /** The upstream failed this request (reset, timeout): the cache answers stale-if-error. */
  UpstreamError: 'upstream-error',
} as const;
export type DegradeReason = (typeof DegradeReason)[keyof typeof DegradeReason];

/**
 * Walks the route's chain — its chosen mode first, then the fallback chain in order — and returns
 * the first mode that can serve this request, or undefined when none can (the gateway then answers
 * 503 with a clear body). `canServe` is the gateway's: does the cache hold an entry, is a default
 * response defined, is the fallback cluster up. `reject` can always serve.
 */
export function resolveChain(
  first: DegradeMode,
  chain: readonly DegradeMode[],
  canServe: (mode: DegradeMode) => boolean,
): DegradeMode | undefined {
  if (first === DegradeMode.Reject || canServe(first)) return first;
  for (const mode of chain) {
    if (mode === first) continue;
    if (mode === DegradeMode.Reject || canServe(mode)) return mode;
  }
  return undefined;
}
