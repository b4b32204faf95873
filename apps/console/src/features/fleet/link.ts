import { env } from '@/server/env.ts';
import { AdminApiLink } from './admin-api-link.ts';
import type { GatewayLink } from './gateway-link.ts';
import { RedisLink } from './redis-link.ts';

const holder = globalThis as unknown as { brownoutLink?: GatewayLink | null };

/** The console's link to the gateways: fleet mode with REDIS_URL, else single-gateway mode, else none. */
export function gatewayLink(): GatewayLink | null {
  if (holder.brownoutLink !== undefined) return holder.brownoutLink;
  const e = env();
  holder.brownoutLink = e.REDIS_URL ? new RedisLink(e.REDIS_URL) : e.BROWNOUT_GATEWAY_URL ? new AdminApiLink(e.BROWNOUT_GATEWAY_URL, e.BROWNOUT_GATEWAY_TOKEN) : null;
  return holder.brownoutLink;
}
