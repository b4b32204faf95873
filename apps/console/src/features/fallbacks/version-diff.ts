import { diffLines } from 'diff';
import type { FallbackVersionRow } from './fallback-store.ts';

export interface DiffPart {
  readonly kind: 'same' | 'added' | 'removed';
  readonly text: string;
}

/** A version as the text the diff compares: status, headers, then the body. */
export function versionText(v: Pick<FallbackVersionRow, 'status' | 'contentType' | 'headers' | 'body'>): string {
  const headers = Object.entries({ 'content-type': v.contentType, ...v.headers })
    .map(([k, val]) => `${k}: ${val}`)
    .join('\n');
  return `status: ${v.status}\n${headers}\n\n${v.body}${v.body.endsWith('\n') ? '' : '\n'}`;
}

/** Line diff between two versions (jsdiff's Myers diff). */
export function diffVersions(before: FallbackVersionRow | undefined, after: FallbackVersionRow): DiffPart[] {
  return diffLines(before ? versionText(before) : '', versionText(after)).map(p => ({ kind: p.added ? 'added' : p.removed ? 'removed' : 'same', text: p.value }));
}
