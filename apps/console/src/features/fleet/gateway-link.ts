import type { SwitchDocument } from '@brownout/core/config';
import type { ConfigIssue } from '@brownout/core';
import type { ChangeLogEntry } from '@brownout/control-plane';
import type { InstanceStatus } from './instance-status.ts';

/** What the console reads from the gateways, one shape in both modes. */
export interface FleetRead {
  readonly instances: readonly InstanceStatus[];
  /** The switch document the fleet is given (Redis) or the gateway enforces (single mode). */
  readonly document: SwitchDocument | null;
}

export type { ChangeLogEntry } from '@brownout/control-plane';

export type SwitchWrite =
  | { readonly ok: true; readonly version: number; /** On Sentinel: replicas that acknowledged the write (0: on the primary only). */ readonly replicated?: number }
  | { readonly ok: false; readonly reason: 'invalid'; readonly issues: readonly ConfigIssue[] }
  | { readonly ok: false; readonly reason: 'stale'; readonly current: number }
  | { readonly ok: false; readonly reason: 'unavailable'; readonly message: string };

/**
 * The console's one way to the gateways. Fleet mode goes through Redis (the control-plane writer
 * and fleet status); single-gateway mode through one gateway's admin API, for a newcomer without
 * Redis. Reads throw `LinkDown` when the other side does not answer.
 */
export interface GatewayLink {
  readonly mode: 'fleet' | 'single';
  /** Where it points, without credentials. */
  readonly target: string;
  read(): Promise<FleetRead>;
  write(doc: SwitchDocument, actor: string, knownRoutes: readonly string[]): Promise<SwitchWrite>;
  /** Change-log entries at or after `afterMs`, oldest first (fleet mode; single mode has no log). */
  changes(afterMs: number): Promise<ChangeLogEntry[]>;
  close(): Promise<void>;
}

export class LinkDown extends Error {
  override readonly name = 'LinkDown';
}
