/**
 * @brownout/sdk — Brownout's switches and breakers at a Node service's own call sites: the
 * degradation a gateway applies per route, applied per function (the resiliency document's
 * "instrument the entry point of every degradable function").
 */
export { Brownout, BrownoutRejected, connectBrownout, type BrownoutOptions } from './brownout.ts';
export type { EntryFallback, EntryOptions, ResourceStats } from './resource.ts';
