import type { FallbackResponse } from '@brownout/core/config';

/**
 * Fills `{{path}}`, `{{method}}` and `{{route}}` in a product-defined fallback body. Deliberately
 * tiny: a fallback must not fail, so there is no logic, no escaping rules to get wrong, and
 * unknown placeholders stay as they are.
 */
export function renderFallbackBody(body: string, path: string, method: string, route: string): string {
  if (!body.includes('{{')) return body;
  return body.replace(/\{\{(path|method|route)\}\}/g, (_m, k: string) => (k === 'path' ? path : k === 'method' ? method : route));
}

export type { FallbackResponse };
