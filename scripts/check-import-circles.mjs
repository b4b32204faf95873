// Fails (exit 1) when files of this repo import each other in a circle, type-only imports
// included: a circle means two modules are one concern, or one should depend on an interface.
// Relative (and the console's `@/`) imports between the .ts/.tsx files under packages/*/src and
// apps/*/src; tests and generated code excluded.
// Run by `npm run lint`.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const files = new Set();
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', '.next', '.turbo', 'test', 'generated'].includes(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|tsx|mts)$/.test(name) && !/\.test\.|\.d\.ts$/.test(name)) files.add(p);
  }
}
for (const top of ['packages', 'apps']) {
  if (!existsSync(join(root, top))) continue;
  for (const pkg of readdirSync(join(root, top))) if (existsSync(join(root, top, pkg, 'src'))) walk(join(root, top, pkg, 'src'));
}

const edges = new Map();
for (const f of files) {
  const out = new Set();
  // `@/x` is the console's alias for its own src/ (tsconfig paths).
  const srcRoot = f.slice(0, f.indexOf('/src/') + 5);
  for (const m of readFileSync(f, 'utf8').matchAll(/(?:import|export)\s[^'";]*?from\s+['"]((?:\.{1,2}|@)\/[^'"]+)['"]|import\(\s*['"]((?:\.{1,2}|@)\/[^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2];
    const t = spec.startsWith('@/') ? join(srcRoot, spec.slice(2)) : resolve(dirname(f), spec);
    const hit = [t, t.replace(/\.js$/, '.ts'), `${t}.ts`, `${t}.tsx`, join(t, 'index.ts')].find(c => files.has(c));
    if (hit) out.add(hit);
  }
  edges.set(f, out);
}

// Tarjan's strongly connected components: every component of more than one file is a circle.
let counter = 0;
const stack = [];
const onStack = new Set();
const index = new Map();
const low = new Map();
const circles = [];
function visit(v) {
  index.set(v, counter);
  low.set(v, counter);
  counter++;
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v)) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) === index.get(v)) {
    const c = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      c.push(w);
    } while (w !== v);
    if (c.length > 1) circles.push(c);
  }
}
for (const f of files) if (!index.has(f)) visit(f);

if (circles.length > 0) {
  console.error(`import circles (${circles.length}):\n${circles.map(c => `  - ${c.map(p => relative(root, p)).join(' <-> ')}`).join('\n')}`);
  process.exit(1);
}
console.log(`no import circles among ${files.size} source files`);
