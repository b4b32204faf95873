/**
 * Fills `{{path}}`, `{{method}}` and `{{route}}` in a product-defined fallback body. Deliberately
 * tiny: a fallback must not fail, so there is no logic and unknown placeholders stay as they are.
 * Shared by the gateway (serving) and the console (preview), so a preview is byte for byte what a
 * client receives.
 *
 * The path is the client's, so it is escaped for the body's content type: inside a JSON body as
 * JSON string content (`GET /p/"},"admin":true` must not close the string and add a field), inside
 * HTML or XML as character references. Other types get the values as they are.
 */
export function renderFallbackBody(body: string, path: string, method: string, route: string, contentType?: string): string {
  if (!body.includes('{{')) return body;
  const escape = escaperFor(contentType);
  return body.replace(/\{\{(path|method|route)\}\}/g, (_m, k: string) => escape(k === 'path' ? path : k === 'method' ? method : route));
}

type Escape = (s: string) => string;

const asIs: Escape = s => s;
/** JSON string content: JSON.stringify's escapes without the quotes, plus `<`, `>` and `&` as \u escapes (safe to embed in HTML too). */
const jsonString: Escape = s =>
  JSON.stringify(s)
    .slice(1, -1)
    .replace(/[<>&\u2028\u2029]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const MARKUP: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const markup: Escape = s => s.replace(/[&<>"']/g, c => MARKUP[c]!);

function escaperFor(contentType: string | undefined): Escape {
  if (contentType === undefined) return asIs;
  const t = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (t === 'application/json' || t.endsWith('+json')) return jsonString;
  if (t === 'text/html' || t === 'application/xhtml+xml' || t.endsWith('/xml') || t.endsWith('+xml')) return markup;
  return asIs;
}
