import type { Logger } from 'pino';
import type { GatewayConfig } from '@brownout/core/config';
import type { SwitchStore } from '@brownout/control-plane';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

/** How a gateway is started: by main.ts from the command line, by tests and benchmarks directly. */
export interface GatewayOptions {
  readonly config: GatewayConfig;
  /** Where SIGHUP and POST /reload read the config from. */
  readonly configPath?: string | undefined;
  /** `stdout`, `off`, or a file path. */
  readonly accessLog?: string | undefined;
  /** Admin bearer token (already resolved from `env:NAME`). */
  readonly adminToken: string;
  /** Read-only admin token (already resolved from `env:NAME`): reads and scrapes, never writes. */
  readonly adminReadToken?: string | undefined;
  /** Operational log (start-up, reloads, ejections). Defaults to JSON on stderr. */
  readonly log?: Logger | undefined;
  /** The switches to enforce; an embedded store by default. */
  readonly switches?: SwitchStore | undefined;
  /** Fleet mode: switches come from (and admin writes go to) this Redis (also Sentinel/Cluster URLs ioredis accepts). */
  readonly redisUrl?: string | undefined;
  /** Where the last applied switch document is kept for restarts during a Redis outage. */
  readonly snapshotPath?: string | undefined;
  /** Full switch reconcile period in fleet mode (default 5 s). */
  readonly reconcileMs?: number | undefined;
  /** Fleet status heartbeat (default 2 s; the entry lives for three). */
  readonly heartbeatMs?: number | undefined;
  /**
   * Set in a worker process (`workers: N`): no health checker and no admin listener of its own
   * (the primary runs both), the config passed through `shareConfig` (its share of local rate
   * limits) on start and every reload, and first traffic per cluster reported.
   */
  readonly worker?: WorkerRole | undefined;
  /** With `tracing` configured: spans go here instead of OTLP/HTTP (tests: the SDK's in-memory exporter). */
  readonly spanExporter?: SpanExporter | undefined;
}

export interface WorkerRole {
  /** This worker's share of a config (see workers/limit-share.ts). */
  shareConfig(config: GatewayConfig): GatewayConfig;
  onFirstTraffic(cluster: string): void;
}
