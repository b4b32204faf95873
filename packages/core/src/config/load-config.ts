import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import type { RouteSwitch, SwitchState } from '../degradation/degradation-policy.ts';
import { gatewayConfigSchema, switchDocumentSchema, type GatewayConfig, type SwitchDocument } from './schema.ts';

function toIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map(i => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Validates a parsed config object. Throws ConfigError listing every problem by path. */
export function parseConfig(value: unknown): GatewayConfig {
  const r = gatewayConfigSchema.safeParse(value);
  if (!r.success) throw new ConfigError(toIssues(r.error));
  return r.data;
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function loadConfigText(text: string): GatewayConfig {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? `line ${e.linePos[0].line}` : '';
    throw new ConfigError([{ path: where, message: `not valid YAML/JSON: ${e instanceof Error ? e.message.split('\n')[0]! : String(e)}` }]);
  }
  return parseConfig(value);
}

/** Validates a switch document (from Redis, the console or the admin API). */
export function parseSwitchDocument(value: unknown): SwitchDocument {
  const r = switchDocumentSchema.safeParse(value);
  if (!r.success) throw new ConfigError(toIssues(r.error), 'switch document');
  return r.data;
}

/** Converts a validated switch document into the policy's lookup form. */
export function toSwitchState(doc: SwitchDocument): SwitchState {
  const routes = new Map<string, RouteSwitch>();
  for (const [name, s] of Object.entries(doc.routes)) {
    routes.set(name, {
      mode: s.mode,
      reason: s.reason,
      actor: s.actor,
      shadow: s.shadow,
      expires_at: s.expires_at === undefined ? undefined : Date.parse(s.expires_at),
    });
  }
  return { version: doc.version, global_level: doc.global_level, global_shadow: doc.global_shadow, routes };
}
