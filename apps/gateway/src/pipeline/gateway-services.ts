import type { Engine, FailOpenLimiter } from '@brownout/core';
import type { SwitchStore } from '@brownout/control-plane';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { ResponseCache } from '../cache/response-cache.ts';
import type { TrustedProxies } from '../routing/trusted-proxies.ts';
import type { TargetRules } from '../routing/request-target.ts';
import type { RequestIdRules } from '../routing/request-id.ts';
import type { Tracing } from '../observability/tracing.ts';

/**
 * What the request pipeline (admission, degraded answers, local replies, the public listener)
 * reads from the running gateway. The Gateway implements it; the pipeline's modules depend on
 * this interface, never on the Gateway class. Fields that a reload replaces are read per request
 * through this one object, so a reload is seen at once with no copying.
 */
export interface GatewayServices {
  readonly engine: Engine;
  readonly metrics: GatewayMetrics;
  readonly draining: boolean;
  readonly switches: SwitchStore;
  readonly cache: ResponseCache;
  readonly distributedLimiters: ReadonlyMap<string, FailOpenLimiter>;
  readonly trusted: TrustedProxies;
  readonly targetRules: TargetRules;
  readonly requestIds: RequestIdRules;
  /** The public listener terminates TLS (`listener.tls`; fixed until a restart). */
  readonly secure: boolean;
  /** OpenTelemetry tracing; undefined when the config has no `tracing` block (the usual case). */
  readonly tracing: Tracing | undefined;
}
