import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as SqliteClient } from '../../generated/sqlite/client.ts';
import { PrismaClient as PostgresClient } from '../../generated/postgresql/client.ts';
import { env } from '../env.ts';
import { migrate, providerOf } from './migrate.ts';

/**
 * The Prisma client singleton. Both providers' generated clients have the same models (they are
 * derived from one prisma/models.prisma), so the PostgreSQL one is used through the SQLite one's type.
 */
export type Db = SqliteClient;

const holder = globalThis as unknown as { brownoutDb?: Promise<Db> | undefined };

/**
 * The database, created and migrated on first use (SQLite: a file under the data directory).
 * Kept on globalThis so Next's dev reloads do not open a connection per reload.
 */
export function db(): Promise<Db> {
  holder.brownoutDb ??= open(env().databaseUrl).catch((e: unknown) => {
    holder.brownoutDb = undefined; // a failed start is retried by the next request, not cached
    throw e;
  });
  return holder.brownoutDb;
}

export async function open(url: string): Promise<Db> {
  if (providerOf(url) === 'sqlite') mkdirSync(path.dirname(url.slice('file:'.length)), { recursive: true });
  await migrate(url);
  if (providerOf(url) === 'sqlite') return new SqliteClient({ adapter: new PrismaBetterSQLite3({ url }) });
  return new PostgresClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
}
