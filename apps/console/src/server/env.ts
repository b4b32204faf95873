import path from 'node:path';
import { z } from 'zod';

/**
 * The console's environment, validated once. Which database and which way to the gateways are
 * decided here: SQLite under the data directory unless DATABASE_URL is a postgresql:// URL; fleet
 * mode when REDIS_URL is set, single-gateway mode when BROWNOUT_GATEWAY_URL is.
 */
const envSchema = z.object({
  BROWNOUT_CONSOLE_DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .refine(u => u.startsWith('file:') || u.startsWith('postgresql://') || u.startsWith('postgres://'), 'must be file:<path> (SQLite) or postgresql://…')
    .optional(),
  REDIS_URL: z.string().min(1).optional(),
  BROWNOUT_GATEWAY_URL: z.url().optional(),
  BROWNOUT_GATEWAY_TOKEN: z.string().min(1).optional(),
  BROWNOUT_CONSOLE_ADMIN_EMAIL: z.email().optional(),
  BROWNOUT_CONSOLE_ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
  /** How long a switch write waits for the gateways to enforce it before saying which have not. */
  BROWNOUT_CONSOLE_APPLY_WAIT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Largest fallback body an editor may save (the gateway's own limit is 1 MiB). */
  BROWNOUT_CONSOLE_FALLBACK_MAX_BYTES: z.coerce.number().int().min(1).max(1_048_576).default(64 * 1024),
  /** How often the console samples the fleet into its history (charts, timeline), and for how long it keeps it. */
  BROWNOUT_CONSOLE_SAMPLE_MS: z.coerce.number().int().min(1_000).max(60_000).default(5_000),
  BROWNOUT_CONSOLE_HISTORY_HOURS: z.coerce.number().min(1).max(24 * 30).default(24),
});

export type ConsoleEnv = z.output<typeof envSchema> & { readonly databaseUrl: string; readonly dataDir: string };

let cached: ConsoleEnv | undefined;

export function env(): ConsoleEnv {
  if (cached) return cached;
  // An empty variable counts as unset (a shell's FOO= must not become an invalid URL).
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map(i => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`brownout console: invalid environment\n${lines}`);
  }
  const dataDir = path.resolve(/*turbopackIgnore: true*/ parsed.data.BROWNOUT_CONSOLE_DATA_DIR ?? path.join(process.cwd(), 'data'));
  const databaseUrl = parsed.data.DATABASE_URL ?? `file:${path.join(dataDir, 'brownout-console.db')}`;
  cached = { ...parsed.data, dataDir, databaseUrl };
  return cached;
}
