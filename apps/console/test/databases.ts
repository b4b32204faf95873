import { after } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth), overridable for other setups. */
const PG_ADMIN_URL = process.env.BROWNOUT_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A fresh SQLite file in a temp dir. */
export function sqliteUrl(): string {
  return `file:${path.join(mkdtempSync(path.join(tmpdir(), 'brownout-console-')), 'console.db')}`;
}

/** A throwaway PostgreSQL database, dropped when the test file ends. */
export async function postgresUrl(): Promise<string> {
  const name = `brownout_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  after(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}
