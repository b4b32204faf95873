/** Route priority tiers. A raised global level sheds the lowest tiers first; critical is never shed. */
export const Priority = { Critical: 'critical', High: 'high', Normal: 'normal', Low: 'low' } as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

export const PRIORITIES: readonly Priority[] = ['critical', 'high', 'normal', 'low'];

/** Highest meaningful global level: 3 sheds high, normal and low. */
export const MAX_LEVEL = 3;

const SHED_AT: Readonly<Record<Priority, number>> = { low: 1, normal: 2, high: 3, critical: Infinity };

/** Level 1 sheds low; 2 adds normal; 3 adds high; no level sheds critical. */
export function shedByLevel(priority: Priority, level: number): boolean {
  return level >= SHED_AT[priority];
}
