import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { migrate } from '@/server/db/migrate.ts';
import { postgresUrl, sqliteUrl } from './databases.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What Prisma would create for the models as they are now (from an empty database). */
function schemaScript(provider: 'sqlite' | 'postgresql'): string {
  return execFileSync('npx', ['prisma', 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', `prisma/${provider}/schema.prisma`, '--script'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: 'file:/tmp/brownout-prisma-diff.db', PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

function sqliteShape(file: string): string[] {
  const db = new Database(file, { readonly: true });
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[];
  const out: string[] = [];
  for (const { name } of tables) {
    for (const c of db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[]) out.push(`${name}.${c.name} ${c.type} nn=${c.notnull} d=${c.dflt_value} pk=${c.pk}`);
    for (const i of db.prepare(`PRAGMA index_list("${name}")`).all() as { name: string; unique: number }[]) out.push(`${name} index ${i.name} unique=${i.unique}`);
  }
  db.close();
  return out.sort();
}

async function postgresShape(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const cols = await c.query<{ s: string }>(`SELECT table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable || ' d=' || coalesce(column_default, '') AS s FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%'`);
  const idx = await c.query<{ s: string }>(`SELECT tablename || ' ' || indexdef AS s FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE '\\_%'`);
  await c.end();
  return [...cols.rows, ...idx.rows].map(r => r.s.replace(/ ON public\./, ' ON ')).sort();
}

// The migrations (generated per provider from prisma/models.prisma, plus hand-written triggers)
// must build exactly the tables and indexes the current models describe, on both providers.
describe('migrations are in sync with prisma/models.prisma', () => {
  it('derived schemas are up to date', () => {
    execFileSync(process.execPath, ['scripts/prisma-schemas.mjs', '--check'], { cwd: ROOT });
  });

  it('on SQLite', async () => {
    const viaMigrations = sqliteUrl();
    await migrate(viaMigrations);
    const fromModels = sqliteUrl();
    const db = new Database(fromModels.slice('file:'.length));
    db.exec(schemaScript('sqlite'));
    db.close();
    assert.deepEqual(sqliteShape(viaMigrations.slice('file:'.length)), sqliteShape(fromModels.slice('file:'.length)));
  });

  it('on PostgreSQL', async () => {
    const viaMigrations = await postgresUrl();
    await migrate(viaMigrations);
    const fromModels = await postgresUrl();
    const c = new pg.Client({ connectionString: fromModels });
    await c.connect();
    await c.query(schemaScript('postgresql'));
    await c.end();
    assert.deepEqual(await postgresShape(viaMigrations), await postgresShape(fromModels));
  });
});
