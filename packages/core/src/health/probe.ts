/**
 * What one active probe observed. The I/O (an HTTP GET, a TCP connect) lives in the gateway; core
 * only interprets the result, so the state machine is tested without sockets.
 */
export type ProbeOutcome =
  | {
      readonly kind: 'http';
      readonly status: number;
      /** The response carried `x-envoy-degraded` / `x-brownout-degraded`. */
      readonly degraded?: boolean;
      /** The response carried `x-envoy-immediate-health-check-fail`. */
      readonly immediateFail?: boolean;
      /** False when a configured `receive` payload was not found in the body. */
      readonly bodyMatched?: boolean;
    }
  | { readonly kind: 'connected'; readonly bodyMatched?: boolean }
  | { readonly kind: 'network_failure'; readonly detail?: string };

/** Performs one check against a host. Must stop work when `signal` aborts (the timeout fired). */
export interface Probe {
  check(address: string, port: number, signal: AbortSignal): Promise<ProbeOutcome>;
}
