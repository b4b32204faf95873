import type { RouteRuntime } from '@brownout/core';

type Headers = Record<string, string | string[] | undefined>;

/**
 * First-match routing over the configured routes, in config order (as Envoy's route table):
 * exact path or prefix (optionally ignoring case), optional method list, optional header matchers
 * (present / exact value).
 */
export function matchRoute(routes: readonly RouteRuntime[], method: string, path: string, headers: Headers): RouteRuntime | undefined {
  let lower: string | undefined;
  for (const r of routes) {
    const m = r.config.match;
    if (m.case_sensitive) {
      if (m.path !== undefined ? path !== m.path : !path.startsWith(m.prefix!)) continue;
    } else {
      // Lower-cased once per request, and only when a case-insensitive route is reached.
      lower ??= path.toLowerCase();
      if (m.path !== undefined ? lower !== m.path.toLowerCase() : !lower.startsWith(m.prefix!.toLowerCase())) continue;
    }
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
