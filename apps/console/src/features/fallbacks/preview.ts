import { degradedHeader, renderFallbackBody, type DegradeDecision } from '@brownout/core';

export interface Preview {
  readonly statusLine: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

/**
 * Exactly what a client receives from a gateway serving this fallback (the route switched to
 * `default` by an operator at the given global level): the same body renderer and degradation
 * header the gateway uses, from @brownout/core. The server adds `date` and `connection`. Runs in
 * the browser (the editor's live preview): reason phrases come in as `statusTexts` (Node's
 * STATUS_CODES, passed from the server).
 */
export function previewFallback(
  f: { status: number; contentType: string; headers: Readonly<Record<string, string>>; body: string },
  sample: { path: string; method: string; route: string; level: number },
  statusTexts: Readonly<Record<string, string>>,
): Preview {
  const decision: DegradeDecision = { degraded: true, mode: 'default', reason: 'switch', level: sample.level, shadow: false };
  const body = renderFallbackBody(f.body, sample.path, sample.method, sample.route, f.contentType);
  return {
    statusLine: `HTTP/1.1 ${f.status} ${statusTexts[String(f.status)] ?? ''}`.trimEnd(),
    headers: [['x-brownout-degraded', degradedHeader(decision, 'default')], ['content-type', f.contentType], ...Object.entries(f.headers).map(([k, v]) => [k.toLowerCase(), v] as const), ['content-length', String(new TextEncoder().encode(body).length)]],
    body,
  };
}
