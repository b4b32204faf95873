import { setFlagsFromString } from 'node:v8';

/**
 * The gateway's V8 heap policy, applied once when the process starts (imported first by main.ts
 * and the demo, so it runs before the first request). A flag the operator gave node themselves
 * (on its command line or in NODE_OPTIONS, either spelling) is left as they set it.
 *
 * Allocation-site pretenuring is off. V8 watches which allocation sites' objects survive young-
 * generation GCs and, past a threshold, allocates that site's objects straight into the old
 * generation from then on. A proxy's per-request objects (streams, responses, listeners, the
 * request context) live for one request; but a burst at start-up, with requests in flight across
 * a scavenge while the code is still cold, can make those sites look long-lived, and the decision
 * sticks: every later request's objects then go to the old generation and die there, paid for by
 * mark-compacts. Measured (issue 27, h2 over TLS, minimal config): a process stuck that way kept
 * 7.5–8.5 KB per request past young GCs against ~3 KB for an identical process that was not, and
 * spent ~2× bare @fastify/http-proxy's GC per request; with pretenuring off, every run read the
 * ~3 KB figure. Long-lived data (config, caches) still reaches the old generation, after two
 * young GCs instead of directly.
 *
 * Not in the policy, measured (issue 27): a fixed old-generation growing factor. The gateway's p99
 * excess over bare @fastify/http-proxy sits in the windows that hold a mark-compact: its ~28 MB
 * live heap (bare's ~13 MB) takes 120–200 ms of concurrent-marker time on helper threads that
 * share the proxy's core. `--heap-growing-percent=100` made them ~3× rarer, but in 36 interleaved
 * short windows against the same build without it, it cost 8% of requests per CPU-second and
 * 2 ms of p99 (why is not pinned down: scavenges were 11–13% dearer with more promoted garbage
 * left in the old generation, too little to account for it).
 */
const POLICY = ['--no-allocation-site-pretenuring'] as const;

/** The flag's name as the operator may have written it: `--no-` dropped, underscores as dashes, no value. */
function flagName(arg: string): string {
  return arg
    .split('=')[0]!
    .replace(/_/g, '-')
    .replace(/^--(no-)?/, '');
}

/** The policy flags the operator did not set themselves (node's own flags, then NODE_OPTIONS). */
export function policyFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = new Set([...execArgv, ...(nodeOptions ?? '').split(/\s+/)].filter(a => a.startsWith('--')).map(flagName));
  return POLICY.filter(f => !given.has(flagName(f)));
}

for (const flag of policyFlags(process.execArgv, process.env.NODE_OPTIONS)) setFlagsFromString(flag);
