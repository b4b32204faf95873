import type { FastifyReply } from 'fastify';
import type { ConfigIssue } from '@brownout/core';

/** Every admin API error has this one shape: `{ "error": { "code", "message", "issues"? } }`. */
export type AdminErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'invalid_request'
  | 'invalid_switch_document'
  | 'stale_switch_document'
  | 'switch_store_unavailable'
  | 'invalid_config'
  | 'internal';

export interface AdminErrorBody {
  readonly error: { readonly code: AdminErrorCode; readonly message: string; readonly issues?: readonly ConfigIssue[] };
}

export function adminError(code: AdminErrorCode, message: string, issues?: readonly ConfigIssue[]): AdminErrorBody {
  return { error: { code, message, ...(issues && { issues }) } };
}

export function sendAdminError(reply: FastifyReply, status: number, code: AdminErrorCode, message: string, issues?: readonly ConfigIssue[]): FastifyReply {
  return reply.code(status).send(adminError(code, message, issues));
}
