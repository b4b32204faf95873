/**
 * Console roles, least to most privileged; each includes what the ones before it may do. viewer:
 * reads; editor (product teams): fallback responses; operator: switches too; admin: users too.
 */
export const ROLES = ['viewer', 'editor', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** Whether `have` may do what needs `need` (an unknown stored role may do nothing). */
export function allows(have: string, need: Role): boolean {
  return isRole(have) && ROLES.indexOf(have) >= ROLES.indexOf(need);
}
