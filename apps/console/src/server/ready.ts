import { createFirstAdmin } from '@/features/auth/bootstrap-admin.ts';
import { db, type Db } from './db/client.ts';
import { env } from './env.ts';

const holder = globalThis as unknown as { brownoutReady?: Promise<Db> | undefined };

/** The database, migrated, with the first admin from the environment when one is configured. */
export function ready(): Promise<Db> {
  holder.brownoutReady ??= (async () => {
    const d = await db();
    const e = env();
    if (e.BROWNOUT_CONSOLE_ADMIN_EMAIL && e.BROWNOUT_CONSOLE_ADMIN_PASSWORD) {
      await createFirstAdmin(d, e.BROWNOUT_CONSOLE_ADMIN_EMAIL, e.BROWNOUT_CONSOLE_ADMIN_PASSWORD, 'environment');
    }
    return d;
  })().catch((err: unknown) => {
    holder.brownoutReady = undefined;
    throw err;
  });
  return holder.brownoutReady;
}
