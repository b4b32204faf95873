import { z } from 'zod';
import { switchDocumentSchema, switchPatchSchema } from '@brownout/core/config';
import { ADMIN_ENDPOINTS } from './admin-endpoints.ts';

/**
 * The admin API as an OpenAPI 3.1 document: paths from the endpoint catalogue, request bodies from
 * the same zod schemas the gateway validates with, one error schema. Served at /openapi.json and
 * committed as apps/gateway/openapi.json (a test keeps the two equal).
 */
export function adminOpenApi(): Record<string, unknown> {
  const error = {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          issues: { type: 'array', items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
    },
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of ADMIN_ENDPOINTS) {
    const op: Record<string, unknown> = {
      summary: e.summary,
      security: e.scope === 'public' ? [] : e.scope === 'read' ? [{ admin: [] }, { read: [] }] : [{ admin: [] }],
      responses: {
        '200': { description: 'OK' },
        ...(e.scope !== 'public' && { '401': { description: 'missing or invalid token', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } }),
        ...(e.scope === 'admin' && { '403': { description: 'the read-only token was used', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } }),
      },
    };
    if (e.path.includes('{route}')) op.parameters = [{ name: 'route', in: 'path', required: true, schema: { type: 'string' } }];
    if (e.body) op.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${e.body}` } } } };
    (paths[e.path] ??= {})[e.method.toLowerCase()] = op;
  }
  // Component schemas without their own $schema line (the document's dialect is OpenAPI 3.1's).
  const schema = (s: z.ZodType) => Object.fromEntries(Object.entries(z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })).filter(([k]) => k !== '$schema'));
  return {
    openapi: '3.1.0',
    info: { title: 'Brownout gateway admin API', version: '1' },
    paths,
    components: {
      securitySchemes: { admin: { type: 'http', scheme: 'bearer', description: 'admin token' }, read: { type: 'http', scheme: 'bearer', description: 'read-only token (admin.read_token)' } },
      schemas: { Error: error, SwitchDocument: schema(switchDocumentSchema), SwitchPatch: schema(switchPatchSchema) },
    },
  };
}
