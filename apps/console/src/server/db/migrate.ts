import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * Applies the console's migrations, in order, each once, on SQLite or PostgreSQL. Prisma's own
 * `migrate deploy` fails on PostgreSQL with the JS engine here, so the console applies the SQL
 * files Prisma generated itself and records each (name and checksum) in `_brownout_migrations`.
 * A migration whose file changed after it was applied is refused, never re-run.
 */
export type Provider = 'sqlite' | 'postgresql';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export function providerOf(url: string): Provider {
  return url.startsWith('postgres') ? 'postgresql' : 'sqlite';
}

/** The repository's prisma/migrations/<provider>, found from the working directory upwards. */
export function migrationsDir(provider: Provider, from = process.cwd()): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'prisma', 'migrations', provider);
    if (existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new MigrationError(`prisma/migrations/${provider} not found above ${from}`);
    dir = up;
  }
}

interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

function readMigrations(dir: string): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter(d => d.isDirectory())
    .map(d => d.name)
    .sort()
    .map(name => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Applies what is missing; returns the names applied now. */
export async function migrate(url: string, dir = migrationsDir(providerOf(url))): Promise<string[]> {
  const migrations = readMigrations(dir);
  return providerOf(url) === 'sqlite' ? migrateSqlite(url.slice('file:'.length), migrations) : migratePostgres(url, migrations);
}

function check(applied: Map<string, string>, m: Migration): boolean {
  const sum = applied.get(m.name);
  if (sum === undefined) return false;
  if (sum !== m.checksum) throw new MigrationError(`migration ${m.name} was changed after it was applied; add a new migration instead`);
  return true;
}

function migrateSqlite(file: string, migrations: Migration[]): string[] {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE IF NOT EXISTS "_brownout_migrations" (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const done: string[] = [];
    // IMMEDIATE: two consoles starting together on one file take turns instead of both applying.
    const run = db.transaction(() => {
      const rows = db.prepare('SELECT name, checksum FROM "_brownout_migrations"').all() as { name: string; checksum: string }[];
      const applied = new Map(rows.map(r => [r.name, r.checksum]));
      for (const m of migrations) {
        if (check(applied, m)) continue;
        db.exec(m.sql);
        db.prepare('INSERT INTO "_brownout_migrations" (name, checksum, applied_at) VALUES (?, ?, ?)').run(m.name, m.checksum, new Date().toISOString());
        done.push(m.name);
      }
    });
    run.immediate();
    return done;
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // One console migrates at a time: the others wait on this lock, then find nothing to do.
    await client.query('SELECT pg_advisory_lock(7423001)');
    await client.query('CREATE TABLE IF NOT EXISTS "_brownout_migrations" (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM "_brownout_migrations"');
    const applied = new Map(rows.map(r => [r.name, r.checksum]));
    const done: string[] = [];
    for (const m of migrations) {
      if (check(applied, m)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO "_brownout_migrations" (name, checksum) VALUES ($1, $2)', [m.name, m.checksum]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${m.name} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      done.push(m.name);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock(7423001)').catch(() => undefined);
    await client.end();
  }
}
