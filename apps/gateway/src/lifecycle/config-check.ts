import { readFile } from 'node:fs/promises';
import { ConfigError } from '@brownout/core';
import { loadConfigText } from '@brownout/core/config';

/**
 * `brownout check <file>`: parses and validates a config exactly as start-up and reload do — the
 * schema and every cross-field rule, all issues in one pass, by path — and starts nothing.
 * Returns the exit code: 0 valid, 1 invalid or unreadable.
 */
export async function checkConfigFile(path: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    err.write(`brownout: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  try {
    const c = loadConfigText(text);
    out.write(`${path}: valid (${c.clusters.length} cluster${c.clusters.length === 1 ? '' : 's'}, ${c.routes.length} route${c.routes.length === 1 ? '' : 's'})\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err.write(`${path}: ${e.issues.length} issue${e.issues.length === 1 ? '' : 's'}\n${e.issues.map(i => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}\n`);
    return 1;
  }
}
