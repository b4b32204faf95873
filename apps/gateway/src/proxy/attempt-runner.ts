import type { Pool } from 'undici';
import type { ClusterRuntime, Host } from '@brownout/core';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { RequestContext } from '../pipeline/request-context.ts';

/** A host's undici pool and how many connections it may open (to tell when a request must wait). */
export interface HostPool {
  readonly pool: Pool;
  readonly connections: number;
  /** The cluster it was built for (for the connection gauge). */
  readonly cluster: string;
  /** HTTPS pools: the server name every request states (see UpstreamDispatcher.poolFor). */
  readonly servername: string | undefined;
}

/**
 * What an upstream request needs from the dispatcher that runs it: the host pools and the
 * metrics. A narrow interface, so the request does not import the dispatcher that creates it.
 */
export interface AttemptRunner {
  readonly metrics: GatewayMetrics;
  poolFor(host: Host, cluster: ClusterRuntime): HostPool;
  /** Whether the route's fallback chain would answer instead of a failed upstream answer (degradation trigger `upstream_failure`). */
  answersFailure(ctx: RequestContext): boolean;
}
