import type { GatewayConfig } from '@brownout/core/config';

/**
 * A worker's share of the config: each route's local token bucket refills N times slower and holds
 * 1/N of the burst (at least one token), so the N workers together allow what the config says
 * without talking per request. The cost: a client whose requests all land on one worker (one
 * keep-alive connection) gets 1/N of the limit. A limit shared exactly needs `scope: distributed`.
 */
export function shareOfConfig(config: GatewayConfig, workers: number): GatewayConfig {
  if (workers <= 1) return config;
  return {
    ...config,
    routes: config.routes.map(r => {
      const rl = r.rate_limit;
      if (!rl || rl.scope !== 'local') return r;
      const tb = rl.token_bucket;
      return {
        ...r,
        rate_limit: { ...rl, token_bucket: { ...tb, fill_interval: tb.fill_interval * workers, max_tokens: Math.max(1, Math.floor(tb.max_tokens / workers)) } },
      };
    }),
  };
}
