import type { GatewayConfig } from '@brownout/core/config';

/**
 * Bound sockets and the admin token cannot change without a restart. A reloaded config keeps the
 * running values of those fields (so `/config` shows what is really served) and names the ones
 * that changed in the file.
 */
export function keepRestartFields(cur: GatewayConfig, next: GatewayConfig): { config: GatewayConfig; restart: string[] } {
  const restart: string[] = [];
  for (const f of ['address', 'port', 'max_header_bytes'] as const) if (next.listener[f] !== cur.listener[f]) restart.push(`listener.${f}`);
  for (const f of ['address', 'port', 'token'] as const) if (next.admin[f] !== cur.admin[f]) restart.push(`admin.${f}`);
  if (next.workers !== cur.workers) restart.push('workers');
  if (restart.length === 0) return { config: next, restart };
  return {
    config: {
      ...next,
      workers: cur.workers,
      listener: { ...next.listener, address: cur.listener.address, port: cur.listener.port, max_header_bytes: cur.listener.max_header_bytes },
      admin: cur.admin,
    },
    restart,
  };
}
