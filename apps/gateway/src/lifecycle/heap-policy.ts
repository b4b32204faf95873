import { setFlagsFromString } from 'node:v8';

/**
 * The gateway's V8 heap policy, applied once when the process starts (imported first by main.ts
 * and the demo, so it runs before the first request).
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
 */
setFlagsFromString('--no-allocation-site-pretenuring');
