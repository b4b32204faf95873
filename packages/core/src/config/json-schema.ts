import { z } from 'zod';
import { breakerSchema, gatewayConfigSchema, hostSchema } from './schema.ts';

/** Where the committed schema lives, relative to the repository root (examples point at it). */
export const CONFIG_SCHEMA_PATH = 'schema/brownout-config.schema.json';

/**
 * The gateway config as a JSON Schema (draft 2020-12), generated from the same zod schema the
 * gateway validates with, describing what may be written (durations as "250ms" or milliseconds,
 * defaults shown). Editors use it through `# yaml-language-server: $schema=…`. Cross-field rules
 * (unknown cluster names, timeouts shorter than intervals, …) are not expressible in JSON Schema:
 * `brownout check` runs them.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(gatewayConfigSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: ctx => {
      // A host is also written as the shorthand "address:port" (turned into the object before validation).
      if (ctx.zodSchema === hostSchema) {
        const object = { ...ctx.jsonSchema };
        for (const k of Object.keys(ctx.jsonSchema)) Reflect.deleteProperty(ctx.jsonSchema, k); // replaced in place, as override requires
        ctx.jsonSchema.anyOf = [{ type: 'string', pattern: '^.+:\\d{1,5}$', description: '"address:port"' }, object];
      }
      // A breaker may also be written in the seed's form, wrapped in `spec:`.
      if (ctx.zodSchema === breakerSchema) {
        const object = { ...ctx.jsonSchema };
        for (const k of Object.keys(ctx.jsonSchema)) Reflect.deleteProperty(ctx.jsonSchema, k); // replaced in place, as override requires
        ctx.jsonSchema.anyOf = [object, { type: 'object', properties: { spec: object }, required: ['spec'], additionalProperties: false }];
      }
    },
  });
  return { ...schema, $id: 'https://brownout.dev/schema/brownout-config.schema.json', title: 'Brownout gateway configuration' };
}
