import type { Registry } from 'prom-client';
import type { ConfigIssue } from '@brownout/core';
import type { WriteResult } from '@brownout/control-plane';
import type { SwitchDocument, SwitchPatch } from '@brownout/core/config';

export type SwitchWriteOutcome = (WriteResult & { enforced?: number }) | { ok: false; reason: 'unavailable' };

export interface ServerInfo {
  readonly version: string;
  readonly instance: string;
  readonly started_at: string;
  readonly uptime_ms: number;
  /** fleet: switches from Redis; embedded: this process only. */
  readonly switch_mode: 'fleet' | 'embedded';
  readonly state: 'live' | 'draining';
  readonly node_version: string;
}

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
  writeSwitches(doc: unknown): Promise<SwitchWriteOutcome>;
  /** Applies a PATCH (already parsed) onto the document in force and writes it, one version up. */
  patchSwitches(patch: SwitchPatch): Promise<SwitchWriteOutcome>;
  /** Version, uptime, instance id, switch mode. */
  serverInfo(): ServerInfo;
  /** The switch document in force (null when none was ever written). */
  switchDocument(): SwitchDocument | null;
  reloadFromFile(): Promise<ReloadResult>;
}
