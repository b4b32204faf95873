/**
 * What `entry()` adds to a call when nothing is degraded: the same async call awaited N times
 * directly and through `entry()` (embedded store, no Redis: the per-call path is the same, since
 * switches are read from memory either way), interleaved rounds, medians. Writes results/entry.json.
 * Run: npm run bench -w @brownout/sdk
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Brownout } from '../src/index.ts';

const N = Number(process.env.BENCH_CALLS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const b = new Brownout({ service: 'bench' });
const value = Promise.resolve(42);
const call = (): Promise<number> => value;
const opts = { fallback: { default: 0 }, priority: 'normal' as const };

async function direct(): Promise<number> {
  const t0 = process.hrtime.bigint();
  let sum = 0;
  for (let i = 0; i < N; i++) sum += await call();
  if (sum !== 42 * N) throw new Error('bad sum');
  return Number(process.hrtime.bigint() - t0) / N;
}

async function viaEntry(): Promise<number> {
  const t0 = process.hrtime.bigint();
  let sum = 0;
  for (let i = 0; i < N; i++) sum += await b.entry('resource', call, opts);
  if (sum !== 42 * N) throw new Error('bad sum');
  return Number(process.hrtime.bigint() - t0) / N;
}

const median = (xs: number[]): number => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)]!;
await direct();
await viaEntry(); // warm-up
const d: number[] = [];
const e: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  d.push(await direct());
  e.push(await viaEntry());
  process.stdout.write(`round ${r + 1}: direct ${d.at(-1)!.toFixed(1)} ns/call, entry() ${e.at(-1)!.toFixed(1)} ns/call\n`);
}
const added = median(e.map((x, i) => x - d[i]!));
process.stdout.write(`entry() adds ${added.toFixed(0)} ns per call when nothing is degraded (median of ${ROUNDS} same-round differences, ${N} calls each)\n`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/entry.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), node: process.version, calls: N, rounds: ROUNDS, direct_ns: d, entry_ns: e, added_ns: added }, null, 2) + '\n');
