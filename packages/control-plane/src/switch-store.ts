import { ConfigError, type ConfigIssue, type SwitchState, EMPTY_SWITCHES } from '@brownout/core';
import { parseSwitchDocument, toSwitchState, type SwitchDocument } from '@brownout/core/config';
import { assignVersion, parseWrite, type WriteRules } from './switch-write-rules.ts';

export type ApplyResult =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly reason: 'invalid'; readonly issues: readonly ConfigIssue[] }
  | { readonly ok: false; readonly reason: 'stale'; readonly current: number };

/**
 * The switches this gateway enforces. This is the embedded store: one process, written through
 * the admin API. A document is validated by core's schema before it is applied, and one older
 * than (or as old as) the current version is refused, so a late or replayed write cannot undo a
 * newer decision. An invalid document never replaces the last good one.
 */
export class SwitchStore {
  private doc: SwitchDocument | undefined;
  private stateValue: SwitchState = EMPTY_SWITCHES;
  private readonly listeners: ((doc: SwitchDocument) => void)[] = [];

  get state(): SwitchState {
    return this.stateValue;
  }

  get document(): SwitchDocument | undefined {
    return this.doc;
  }

  get version(): number {
    return this.doc?.version ?? 0;
  }

  onChange(fn: (doc: SwitchDocument) => void): void {
    this.listeners.push(fn);
  }

  /**
   * An operator's write into the embedded store: the operator checks (known routes, expiry in the
   * future) and the version rules (next version when omitted, no absurd jumps) on top of `apply`.
   */
  write(input: unknown, rules: WriteRules): ApplyResult {
    const w = parseWrite(input, rules);
    if (!w.ok) return w;
    const v = assignVersion(w.requested, this.version);
    if (!v.ok) return v;
    return this.apply({ ...w.doc, version: v.version });
  }

  /** A document from the control plane (Redis, notice, snapshot): validated, and refused unless newer. */
  apply(input: unknown): ApplyResult {
    let doc: SwitchDocument;
    try {
      // An operator may omit `version`: the next one is assigned.
      const auto = typeof input === 'object' && input !== null && !Array.isArray(input) && (input as { version?: unknown }).version === undefined;
      doc = parseSwitchDocument(auto ? { ...input, version: this.version + 1 } : input);
    } catch (e) {
      if (e instanceof ConfigError) return { ok: false, reason: 'invalid', issues: e.issues };
      throw e;
    }
    if (this.doc && doc.version <= this.doc.version) return { ok: false, reason: 'stale', current: this.doc.version };
    this.doc = doc;
    this.stateValue = toSwitchState(doc);
    for (const l of this.listeners) l(doc);
    return { ok: true, version: doc.version };
  }
}
