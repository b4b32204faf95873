import type { RouteRuntime } from '@brownout/core';

type Headers = Record<string, string | string[] | undefined>;

/**
 * First-match routing over the configured routes, in config order (as Envoy's route table):
 * exact path or prefix, optional method list, optional header matchers (present / exact value).
 */
export function matchRoute(routes: readonly RouteRuntime[], method: string, path: string, headers: Headers): RouteRuntime | undefined {
  for (const r of routes) {
    const m = r.config.match;
    if (m.path !== undefined ? path !== m.path : !path.startsWith(m.prefix!)) continue;
    if (m.methods.length > 0 && !m.methods.includes(method)) continue;
    let ok = true;
    for (const h of m.headers) {
      const v = headers[h.name];
      const value = Array.isArray(v) ? v[0] : v;
      if (h.present === false ? value !== undefined : value === undefined) ok = false;
      else if (h.exact !== undefined && value !== h.exact) ok = false;
      if (!ok) break;
    }
    if (ok) return r;
  }
  return undefined;
}
