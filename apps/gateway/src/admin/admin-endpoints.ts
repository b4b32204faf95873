/**
 * The admin API's endpoints, once: `GET /` lists them and the OpenAPI document is built from them,
 * so the two cannot disagree with the routes (a test checks every one is served).
 */
export type AdminScope = 'public' | 'read' | 'admin';

export interface AdminEndpoint {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** public: no token (load balancers); read: the read-only or the admin token; admin: the admin token. */
  readonly scope: AdminScope;
  readonly summary: string;
  /** Name of the request body schema in the OpenAPI components, if any. */
  readonly body?: 'SwitchDocument' | 'SwitchPatch';
}

export const ADMIN_ENDPOINTS: readonly AdminEndpoint[] = [
  { method: 'GET', path: '/', scope: 'read', summary: 'This list of endpoints' },
  { method: 'GET', path: '/help', scope: 'read', summary: 'This list of endpoints' },
  { method: 'GET', path: '/ready', scope: 'public', summary: 'LIVE, or 503 DRAINING (for load balancers)' },
  { method: 'GET', path: '/server_info', scope: 'read', summary: 'Version, uptime, instance id, switch mode, state' },
  { method: 'GET', path: '/config_dump', scope: 'read', summary: 'The config in force (secrets redacted) and the switch document' },
  { method: 'GET', path: '/config', scope: 'read', summary: 'The config in force (secrets redacted)' },
  { method: 'GET', path: '/clusters', scope: 'read', summary: 'Clusters and hosts: health flags, ejections, counters, limits left' },
  { method: 'GET', path: '/routes', scope: 'read', summary: 'Routes: cluster, priority, breaker, rules, answers by status class' },
  { method: 'GET', path: '/switches', scope: 'read', summary: 'The switch document in force, its source and freshness' },
  { method: 'GET', path: '/stats', scope: 'read', summary: 'Every metric as JSON' },
  { method: 'GET', path: '/stats/prometheus', scope: 'read', summary: 'Every metric in the Prometheus text format' },
  { method: 'GET', path: '/openapi.json', scope: 'read', summary: 'This API as an OpenAPI 3.1 document' },
  { method: 'PUT', path: '/switches', scope: 'admin', summary: 'Replace the whole switch document', body: 'SwitchDocument' },
  { method: 'PATCH', path: '/switches', scope: 'admin', summary: 'Change the global level or some routes, keeping the rest', body: 'SwitchPatch' },
  { method: 'DELETE', path: '/switches/routes/{route}', scope: 'admin', summary: "Restore one route to normal (remove its override)" },
  { method: 'POST', path: '/switches/restore', scope: 'admin', summary: 'Restore normal everywhere: level 0, no route overrides' },
  { method: 'POST', path: '/reload', scope: 'admin', summary: 'Reload the config file (an invalid one is refused, the old one kept)' },
  { method: 'POST', path: '/healthcheck/fail', scope: 'admin', summary: 'Start draining: /ready answers 503' },
  { method: 'POST', path: '/healthcheck/ok', scope: 'admin', summary: 'Stop draining' },
];
