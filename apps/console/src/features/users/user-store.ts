import type { Db } from '@/server/db/client.ts';

/**
 * The users table, as the console's features read and write it: the one place that knows what
 * "an active admin" means (the last one may not be demoted or disabled; while there is none, the
 * one-time setup page is open).
 */

/** Admins who can sign in. */
export function activeAdminCount(db: Pick<Db, 'user'>): Promise<number> {
  return db.user.count({ where: { role: 'admin', disabled: false } });
}

/** Every user, for the users page. */
export function listUsers(db: Db): Promise<{ id: string; email: string; role: string; disabled: boolean; since: string }[]> {
  return db.user
    .findMany({ orderBy: { email: 'asc' }, select: { id: true, email: true, role: true, disabled: true, createdAt: true } })
    .then(users => users.map(u => ({ id: u.id, email: u.email, role: u.role, disabled: u.disabled, since: u.createdAt.toISOString().slice(0, 10) })));
}

export function findUserById(db: Db, id: string) {
  return db.user.findUnique({ where: { id } });
}

export function findUserByEmail(db: Db, email: string) {
  return db.user.findUnique({ where: { email: email.toLowerCase() } });
}
