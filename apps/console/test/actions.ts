import { readFileSync } from 'node:fs';

/** A server action's id, from the console's build (an attacker reads the same ids from the page's JavaScript). */
export function actionId(exportedName: string): string {
  const manifest = JSON.parse(readFileSync(new URL('../.next/server/server-reference-manifest.json', import.meta.url), 'utf8')) as { node: Record<string, { exportedName?: string }> };
  const id = Object.entries(manifest.node).find(([, v]) => v.exportedName === exportedName)?.[0];
  if (!id) throw new Error(`${exportedName} is not in the build`);
  return id;
}

/**
 * Calls a form server action as React does — `(previousState, formData)` encoded as a multipart
 * body whose root part `0` references the form fields (prefixed `_1_`, as Next's client sends them); the root goes last, as
 * React sends it, since the server resolves references as parts arrive — from outside any browser,
 * with whatever headers and field values the caller likes (CR/LF included).
 */
export async function callAction(consoleUrl: string, page: string, exportedName: string, fields: Record<string, string>, headers: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }> {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(`_1_${k}`, v);
  body.append('0', '[null,"$K1"]');
  const r = await fetch(`${consoleUrl}${page}`, { method: 'POST', headers: { 'next-action': actionId(exportedName), ...headers }, body });
  return { status: r.status, text: await r.text(), headers: r.headers };
}
