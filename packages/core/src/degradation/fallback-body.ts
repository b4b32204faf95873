/**
 * Fills `{{path}}`, `{{method}}` and `{{route}}` in a product-defined fallback body. Deliberately
 * tiny: a fallback must not fail, so there is no logic, no escaping rules to get wrong, and
 * unknown placeholders stay as they are. Shared by the gateway (serving) and the console (preview),
 * so a preview is byte for byte what a client receives.
 */
export function renderFallbackBody(body: string, path: string, method: string, route: string): string {
  if (!body.includes('{{')) return body;
  return body.replace(/\{\{(path|method|route)\}\}/g, (_m, k: string) => (k === 'path' ? path : k === 'method' ? method : route));
}
