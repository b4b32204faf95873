import type { EjectionType } from '@brownout/core';

/**
 * What the primary and its workers say to each other over the cluster IPC channel. Never per
 * request: health-check verdicts (per check), ejections (per ejection), first traffic (once per
 * cluster), admin calls and metric scrapes (per operator call), lifecycle.
 */

/** One host's active-check state, as the primary's checker last left it. */
export interface HostCheck {
  readonly cluster: string;
  readonly host: string;
  readonly passed: boolean;
  readonly flags: number;
}

export interface SharedEjection {
  readonly cluster: string;
  readonly host: string;
  readonly type: EjectionType;
  readonly durationMs: number;
  readonly forAnswers: boolean;
  /** The worker whose traffic got the host ejected. */
  readonly worker: number;
}

export interface AdminCall {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface AdminAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Primary → worker. */
export type ToWorker =
  | { readonly type: 'brownout:hc'; readonly check: HostCheck }
  | { readonly type: 'brownout:eject'; readonly ejection: SharedEjection }
  | { readonly type: 'brownout:uneject'; readonly cluster: string; readonly host: string; readonly worker: number }
  | { readonly type: 'brownout:snapshot'; readonly checks: readonly HostCheck[]; readonly ejections: readonly SharedEjection[] }
  | { readonly type: 'brownout:admin'; readonly id: number; readonly call: AdminCall }
  | { readonly type: 'brownout:metrics'; readonly id: number }
  | { readonly type: 'brownout:reload' }
  | { readonly type: 'brownout:shutdown'; readonly drainMs: number };

/** Worker → primary. */
export type FromWorker =
  | { readonly type: 'brownout:hello' }
  | { readonly type: 'brownout:listening' }
  | { readonly type: 'brownout:traffic'; readonly cluster: string }
  | { readonly type: 'brownout:ejected'; readonly ejection: Omit<SharedEjection, 'worker'> }
  | { readonly type: 'brownout:unejected'; readonly cluster: string; readonly host: string }
  | { readonly type: 'brownout:admin-answer'; readonly id: number; readonly answer: AdminAnswer }
  | { readonly type: 'brownout:metrics-answer'; readonly id: number; readonly metrics: unknown };

export function isFromWorker(m: unknown): m is FromWorker {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('brownout:');
}
