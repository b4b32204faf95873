// Prisma CLI configuration. The CLI is used offline only: `generate` and `migrate diff` (no engine
// binary is downloaded or needed: the JS engine with driver adapters). Migrations are applied by the
// console itself (apps/console/src/server/db/migrate.ts) on both providers, because `migrate deploy`
// fails on PostgreSQL here and `migrate dev` refuses adapters.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= '/nonexistent';
process.env.PRISMA_QUERY_ENGINE_LIBRARY ??= '/nonexistent';

import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

const provider = process.env.BROWNOUT_PRISMA_PROVIDER === 'postgresql' ? 'postgresql' : 'sqlite';

export default defineConfig({
  engine: 'js',
  experimental: { adapter: true },
  schema: path.join('prisma', provider, 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations', provider) },
  adapter: async () => new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? 'file:./apps/console/data/brownout-console.db' }),
});
