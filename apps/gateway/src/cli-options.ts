import { parseArgs } from 'node:util';

export interface CliOptions {
  readonly configPath: string;
  readonly accessLog: string;
}

/** `--config <file>` (or BROWNOUT_CONFIG) and `--access-log stdout|off|<file>` (or BROWNOUT_ACCESS_LOG). */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: { config: { type: 'string', short: 'c' }, 'access-log': { type: 'string' } },
    strict: true,
  });
  const configPath = values.config ?? env.BROWNOUT_CONFIG;
  if (!configPath) throw new Error('no config: pass --config <file.yaml|json> or set BROWNOUT_CONFIG');
  return { configPath, accessLog: values['access-log'] ?? env.BROWNOUT_ACCESS_LOG ?? 'stdout' };
}

/**
 * Resolves `env:NAME` indirection so secrets stay out of config files. A named variable that is
 * unset or empty is an error: falling back to a generated token would start an admin API nobody
 * configured the key for.
 */
export function resolveSecret(value: string | undefined, env: NodeJS.ProcessEnv, field = 'admin.token'): string | undefined {
  if (value === undefined) return undefined;
  if (!value.startsWith('env:')) return value;
  const name = value.slice(4);
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`${field}: "${value}" names the environment variable ${name}, which is not set (or empty)`);
  return v;
}
