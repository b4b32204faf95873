import { diffLines } from 'diff';
import type { FallbackVersionRow } from './fallback-store.ts';

export interface DiffPart {
  readonly kind: 'same' | 'added' | 'removed';
  readonly text: string;
}

/** A version as the text the diff compares: status, headers, the body, then the gRPC answer. */
export function versionText(v: Pick<FallbackVersionRow, 'status' | 'contentType' | 'headers' | 'body' | 'grpc'>): string {
  const headers = Object.entries({ 'content-type': v.contentType, ...v.headers })
    .map(([k, val]) => `${k}: ${val}`)
    .join('\n');
  const grpc = v.grpc === null ? '' : `\ngrpc-status: ${v.grpc.status}\ngrpc-message: ${v.grpc.message}\n${v.grpc.response_base64 === undefined ? '' : `grpc response (base64): ${v.grpc.response_base64}\n`}`;
  return `status: ${v.status}\n${headers}\n\n${v.body}${v.body.endsWith('\n') ? '' : '\n'}${grpc}`;
}

/** Line diff between two versions (jsdiff's Myers diff). */
export function diffVersions(before: FallbackVersionRow | undefined, after: FallbackVersionRow): DiffPart[] {
  return diffLines(before ? versionText(before) : '', versionText(after)).map(p => ({ kind: p.added ? 'added' : p.removed ? 'removed' : 'same', text: p.value }));
}
