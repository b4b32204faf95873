import type { Registry } from 'prom-client';
import type { ConfigIssue } from '@brownout/core';
import type { WriteResult } from '@brownout/control-plane';

/** What a config reload did (POST /reload, SIGHUP). */
export interface ReloadResult {
  readonly ok: boolean;
  readonly issues?: readonly ConfigIssue[];
  readonly kept?: string[];
  readonly rebuilt?: string[];
  readonly warnings?: string[];
  /** Config fields changed in the file that only take effect after a restart. */
  readonly restart_required?: string[];
}

/**
 * Everything the admin API reads and does, as a narrow interface: the admin server depends on
 * this, not on the Gateway class, so the two do not import each other.
 */
export interface AdminSurface {
  readonly draining: boolean;
  readonly metrics: { readonly registry: Registry };
  setDraining(on: boolean): void;
  clusterStatus(): unknown[];
  routeStatus(): unknown[];
  redactedConfig(): unknown;
  switchStatus(): unknown;
  writeSwitches(doc: unknown): Promise<(WriteResult & { enforced?: number }) | { ok: false; reason: 'unavailable' }>;
  reloadFromFile(): Promise<ReloadResult>;
}
