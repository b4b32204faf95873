/** @brownout/console — placeholder until the console issue lands (Next.js App Router + Prisma). */
export const CONSOLE_PLACEHOLDER = true;
