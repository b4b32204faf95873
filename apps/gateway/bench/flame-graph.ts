/**
 * A flame graph (SVG, root at the bottom) of a V8 CPU profile: each frame's width is its inclusive
 * CPU time, coloured by whose code it is. Written here rather than taken from a package: the
 * well-known ones (0x, speedscope) bring a browser UI and a dependency tree for what is a hundred
 * lines of SVG; hover a frame for its name, file and µs per request.
 */
import { categoryOf, type Category } from './cost-attribution.ts';
import type { CpuProfile } from './inspector-session.ts';

const COLOURS: Record<Category, string> = {
  fastify: '#7fb3d5',
  'reply-from': '#bb8fce',
  undici: '#f5b041',
  brownout: '#58d68d',
  'other deps': '#d5dbdb',
  'node core': '#f1948a',
  native: '#aab7b8',
  gc: '#e74c3c',
};

const escape = (s: string): string => s.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function flameGraphSvg(p: CpuProfile, selfUs: Map<number, number>, requests: number, title: string): string {
  const byId = new Map(p.nodes.map(n => [n.id, n]));
  const total = new Map<number, number>();
  const inclusive = (id: number): number => {
    const n = byId.get(id)!;
    const f = n.callFrame;
    let t = categoryOf(f.url, f.functionName) === undefined ? 0 : (selfUs.get(id) ?? 0);
    for (const c of n.children ?? []) t += inclusive(c);
    total.set(id, t);
    return t;
  };
  const root = p.nodes[0]!.id;
  const rootUs = inclusive(root);
  const W = 1200;
  const ROW = 16;
  const rects: string[] = [];
  let depthMax = 0;
  const draw = (id: number, x: number, depth: number): void => {
    const t = total.get(id) ?? 0;
    const w = (t / rootUs) * W;
    if (w < 0.5) return;
    depthMax = Math.max(depthMax, depth);
    const n = byId.get(id)!;
    const f = n.callFrame;
    const cat = categoryOf(f.url, f.functionName) ?? 'native';
    const name = f.functionName || '(anonymous)';
    const file = f.url.replace(/^.*\/node_modules\//, '').replace(/^.*\/(apps|packages)\//, '$1/');
    const label = `${name} ${file}:${f.lineNumber + 1} — ${(t / requests).toFixed(2)} µs/request (${((t / rootUs) * 100).toFixed(1)}%)`;
    rects.push(
      `<g><title>${escape(label)}</title><rect x="${x.toFixed(1)}" y="${-depth * ROW}" width="${w.toFixed(1)}" height="${ROW - 1}" fill="${COLOURS[cat]}"/>` +
        (w > 40 ? `<text x="${(x + 3).toFixed(1)}" y="${-depth * ROW + 11}">${escape(name.slice(0, Math.floor(w / 7)))}</text>` : '') +
        '</g>',
    );
    let cx = x;
    for (const c of n.children ?? []) {
      draw(c, cx, depth + 1);
      cx += ((total.get(c) ?? 0) / rootUs) * W;
    }
  };
  draw(root, 0, 0);
  const top = -(depthMax + 1) * ROW - 50;
  const height = (depthMax + 2) * ROW + 50;
  const legend = Object.entries(COLOURS)
    .map(([k, c], i) => `<rect x="${i * 130}" y="${top + 24}" width="12" height="12" fill="${c}"/><text x="${i * 130 + 16}" y="${top + 34}">${k}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 ${top} ${W} ${height}" font-family="monospace" font-size="11">
<text x="0" y="${top + 14}" font-size="13">${escape(title)}</text>
${legend}
${rects.join('\n')}
</svg>
`;

}
