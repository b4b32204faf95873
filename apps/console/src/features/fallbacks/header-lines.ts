/**
 * The headers textarea: one `Name: value` per line. Browsers submit textareas with CRLF line ends,
 * which are line ends; a CR or LF anywhere else stays in the value and is refused by the schema.
 * No dependencies: the editor's live preview uses it in the browser too.
 */
export function parseHeaderLines(text: string): { headers: Record<string, string> } | { error: string } {
  const headers: Record<string, string> = {};
  const lines = text.split('\n').map(l => (l.endsWith('\r') ? l.slice(0, -1) : l));
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `line ${i + 1}: expected "Name: value"` };
    const name = line.slice(0, colon).trim();
    if (name.toLowerCase() === 'content-type') return { error: `line ${i + 1}: set the content type in its own field` };
    if (Object.keys(headers).some(h => h.toLowerCase() === name.toLowerCase())) return { error: `line ${i + 1}: "${name}" is given twice` };
    headers[name] = line.slice(colon + 1).trim();
  }
  return { headers };
}
