import type { NextConfig } from 'next';

const config: NextConfig = {
  // Native and connection-holding packages stay node_modules requires (not bundled).
  serverExternalPackages: ['better-sqlite3', '@prisma/adapter-better-sqlite3', '@prisma/adapter-pg', 'pg', 'ioredis'],
  // forbidden() in server actions and pages answers 403 (a viewer's forged write).
  experimental: { authInterrupts: true },
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
};

export default config;
