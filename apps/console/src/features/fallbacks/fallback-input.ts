import { z } from 'zod';
import { Ajv, type ValidateFunction } from 'ajv';
import { renderFallbackBody } from '@brownout/core';
import { fallbackHeadersSchema, grpcAnswerSchema, type GrpcAnswer } from '@brownout/core/config';
import { parseHeaderLines } from './header-lines.ts';

export { parseHeaderLines };

/** A response as an editor writes it: content type apart (required), the other headers as a map. */
export interface FallbackDraft {
  readonly route: string;
  readonly status: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** What a gRPC caller gets instead; null: none (a gRPC call is refused with UNAVAILABLE). */
  readonly grpc: GrpcAnswer | null;
  readonly message: string;
}

export type DraftCheck = { readonly ok: true; readonly draft: FallbackDraft } | { readonly ok: false; readonly fields: Record<string, string> };

const isJson = (contentType: string): boolean => /^application\/(.+\+)?json\b/i.test(contentType.trim());

const formSchema = (maxBytes: number) =>
  z.object({
    route: z.string().trim().min(1, 'pick a route').max(200),
    status: z.coerce.number({ error: 'a status from 200 to 599' }).int('a status from 200 to 599').min(200, 'a status from 200 to 599').max(599, 'a status from 200 to 599'),
    contentType: z
      .string({ error: 'required' })
      .trim()
      .min(1, 'required (e.g. application/json)')
      .max(200)
      .regex(/^[^\r\n\0]*$/, 'no CR, LF or NUL'),
    headers: z.string().max(64 * 1024).default(''),
    body: z
      .string()
      .default('')
      .refine(b => Buffer.byteLength(b) <= maxBytes, `at most ${maxBytes} bytes`),
    grpcStatus: z.string().trim().default(''),
    grpcMessage: z.string().default(''),
    grpcResponse: z.string().trim().default(''),
    message: z.string({ error: 'say what changed' }).trim().min(3, 'say what changed (at least 3 characters)').max(300, 'at most 300 characters'),
  });

/**
 * Checks an editor's draft, field by field: status, content type, headers (the gateway's own header
 * rules), body size, and — for JSON content types — that the body (rendered with sample values for
 * `{{path}}`, `{{method}}`, `{{route}}`) parses and satisfies the route's JSON Schema if it has one.
 */
export function checkDraft(input: Record<string, unknown>, opts: { maxBytes: number; schema?: ValidateFunction | undefined }): DraftCheck {
  const p = formSchema(opts.maxBytes).safeParse(input);
  const fields: Partial<Record<string, string>> = {};
  if (!p.success) for (const i of p.error.issues) fields[String(i.path[0] ?? 'form')] ??= i.message;
  const lines = parseHeaderLines(typeof input.headers === 'string' ? input.headers : '');
  let headers: Record<string, string> = {};
  if ('error' in lines) fields.headers ??= lines.error;
  else {
    const h = fallbackHeadersSchema.safeParse(lines.headers);
    if (!h.success) fields.headers ??= h.error.issues.map(i => (i.path.length ? `${String(i.path[0])}: ${i.message}` : i.message)).join('; ');
    else headers = h.data;
  }
  const grpc = p.success ? checkGrpcAnswer(p.data, fields) : null;
  if (!p.success || Object.keys(fields).length > 0) return { ok: false, fields: fields as Record<string, string> };
  const d = p.data;
  if (isJson(d.contentType)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(renderFallbackBody(d.body, '/sample', 'GET', d.route, d.contentType));
    } catch (e) {
      return { ok: false, fields: { body: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` } };
    }
    if (opts.schema && !opts.schema(parsed)) {
      const errs = (opts.schema.errors ?? []).slice(0, 3).map(e => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}`);
      return { ok: false, fields: { body: `does not match the route's JSON Schema: ${errs.join('; ')}` } };
    }
  }
  return { ok: true, draft: { route: d.route, status: d.status, contentType: d.contentType, headers, body: d.body, grpc, message: d.message } };
}

/** The form's field for each part of the gRPC answer. */
const GRPC_FIELDS: Record<string, string> = { status: 'grpcStatus', message: 'grpcMessage', response_base64: 'grpcResponse' };

/**
 * The gRPC answer fields, checked by the gateway's own schema (status 0–16, message, base64 of at
 * most 64 KiB, a response message only with OK). No status chosen and nothing else filled: none.
 */
function checkGrpcAnswer(d: { grpcStatus: string; grpcMessage: string; grpcResponse: string }, fields: Partial<Record<string, string>>): GrpcAnswer | null {
  if (d.grpcStatus === '') {
    if (d.grpcMessage !== '' || d.grpcResponse !== '') fields.grpcStatus ??= 'pick a gRPC status for this answer';
    return null;
  }
  const status = /^\d{1,2}$/.test(d.grpcStatus) ? Number(d.grpcStatus) : -1;
  const g = grpcAnswerSchema.safeParse({ status, message: d.grpcMessage, ...(d.grpcResponse !== '' && { response_base64: d.grpcResponse }) });
  if (g.success) return g.data;
  for (const i of g.error.issues) fields[GRPC_FIELDS[String(i.path[0])] ?? 'grpcStatus'] ??= i.message;
  return null;
}

/** Compiles a route's JSON Schema (refusing one that is not JSON or not a valid schema). */
export function compileSchema(text: string): { ok: true; validate: ValidateFunction } | { ok: false; message: string } {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return { ok: false, message: 'a JSON Schema is an object' };
  try {
    return { ok: true, validate: new Ajv({ allErrors: true, strict: false }).compile(schema) };
  } catch (e) {
    return { ok: false, message: `not a valid JSON Schema: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The headers field as text, from a stored version. */
export const headerLines = (headers: Readonly<Record<string, string>>): string =>
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
