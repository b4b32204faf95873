import { parseArgs } from 'node:util';

export interface CliOptions {
  readonly command: 'run';
  readonly configPath: string;
  readonly accessLog: string;
  /** `--workers N|auto`; overrides the config's `workers`. */
  readonly workers?: number | 'auto' | undefined;
}

/** What the command line asks for: run the gateway, check a config and exit, or print help or the version. */
export type CliCommand = CliOptions | { readonly command: 'check'; readonly configPath: string } | { readonly command: 'help' } | { readonly command: 'version' };

export const USAGE = `usage:
  brownout --config <file>            run the gateway (or BROWNOUT_CONFIG=<file>)
  brownout check <file>               validate a config and exit: every issue by path, exit 1 if any
  brownout --check --config <file>    the same
  brownout --help | --version

options:
  -c, --config <file>       YAML or JSON config (JSON Schema: schema/brownout-config.schema.json)
      --access-log <where>  stdout (default), off, or a file path (or BROWNOUT_ACCESS_LOG)
      --workers <n|auto>    worker processes (overrides the config's \`workers\`; auto: one per core)

environment:
  REDIS_URL                  fleet mode: switches, shared rate limits and cache, fleet status
  BROWNOUT_ADMIN_TOKEN       admin API token when the config has none (else one is generated)
  BROWNOUT_SWITCH_SNAPSHOT   last-known-good switches file (fleet mode)

signals: SIGHUP reloads the config (an invalid one is refused); SIGTERM/SIGINT drain and stop.
`;

/**
 * \`brownout [check <file>] [--config <file>] [--check] [--access-log …] [--help] [--version]\`.
 * Unknown options are refused with a message (never ignored).
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliCommand {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string', short: 'c' },
      'access-log': { type: 'string' },
      workers: { type: 'string' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const [verb, file, ...extra] = positionals;
  if (verb !== undefined && verb !== 'check') throw new Error(`unknown command "${verb}" (see brownout --help)`);
  if (extra.length > 0) throw new Error(`unexpected arguments: ${extra.join(' ')}`);
  const configPath = file ?? values.config ?? env.BROWNOUT_CONFIG;
  if (!configPath) throw new Error('no config: pass --config <file.yaml|json> (or brownout check <file>) or set BROWNOUT_CONFIG');
  if (verb === 'check' || values.check) return { command: 'check', configPath };
  return { command: 'run', configPath, accessLog: values['access-log'] ?? env.BROWNOUT_ACCESS_LOG ?? 'stdout', workers: parseWorkers(values.workers) };
}

function parseWorkers(v: string | undefined): number | 'auto' | undefined {
  if (v === undefined || v === 'auto') return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`--workers: expected a number from 1 to 64 or "auto", got ${JSON.stringify(v)}`);
  return n;
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
