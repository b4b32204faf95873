/**
 * The guard against slow creep (issue 27): builds a base revision (default: the previous commit,
 * or HEAD when the tree has uncommitted changes) in a git worktree, runs proxy.bench.ts with it as
 * case `previous` interleaved with this build and bare @fastify/http-proxy, and fails when this
 * build's requests per proxy CPU-second fall more than BENCH_GUARD_PERCENT (5) below the base's —
 * judged as the median of same-round ratios, so noise is handled by rounds, not by a timed
 * assertion. Run before merging a request-path change:
 *   npm run bench:guard -w @brownout/gateway            # against HEAD~1 (or HEAD with local changes)
 *   BENCH_BASE=main npm run bench:guard -w @brownout/gateway
 * Needs wrk, nginx-light, haproxy (as proxy.bench.ts) and ~5 minutes; exits 1 on a regression.
 * 20 rounds because this VM needs them: with 12, the same build against itself read 104.8%.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './bench-kit.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
const base = process.env.BENCH_BASE ?? (dirty ? 'HEAD' : 'HEAD~1');
const threshold = Number(process.env.BENCH_GUARD_PERCENT ?? 5) / 100;
const rev = git('rev-parse', '--short', base);
const tree = join(mkdtempSync(join(tmpdir(), 'brownout-guard-')), 'base');

process.stdout.write(`bench:guard: this build against ${base} (${rev}), failing below -${threshold * 100}% per proxy CPU-second\n`);
git('worktree', 'add', '--detach', '-f', tree, rev);
try {
  // The base shares this checkout's installed packages; only its own sources are built.
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  for (const pkg of ['packages/core', 'packages/control-plane', 'apps/gateway']) {
    const nm = join(ROOT, pkg, 'node_modules');
    if (existsSync(nm)) symlinkSync(nm, join(tree, pkg, 'node_modules'));
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: join(tree, pkg), stdio: 'inherit' });
  }
  const out = 'ab-guard.json';
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/proxy.bench.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: 'inherit',
    env: {
      ...process.env,
      BENCH_PREVIOUS_DIST: join(tree, 'apps/gateway/dist'),
      BENCH_CASES: 'gateway,bare,previous',
      BENCH_ROUNDS: process.env.BENCH_ROUNDS ?? '20',
      BENCH_SECONDS: process.env.BENCH_SECONDS ?? '3',
      BENCH_WARMUP: process.env.BENCH_WARMUP ?? '1',
      BENCH_PAIRED_ROUNDS: '0',
      BENCH_LATENCY_ROUNDS: '0',
      BENCH_TAIL_ROUNDS: '0',
      BENCH_OUT: out,
    },
  });
  const r = JSON.parse(readFileSync(new URL(`./results/${out}`, import.meta.url), 'utf8')) as { rounds_raw: Record<'gateway' | 'previous', { rps: number; cpu: number }[]> };
  const perCpu = (x: { rps: number; cpu: number }): number => x.rps / x.cpu;
  const ratio = median(r.rounds_raw.gateway.map((g, i) => perCpu(g) / perCpu(r.rounds_raw.previous[i]!)));
  process.stdout.write(`\nthis build / ${base} (${rev}), requests per proxy CPU-second, median of ${r.rounds_raw.gateway.length} same-round ratios: ${(ratio * 100).toFixed(1)}%\n`);
  if (ratio < 1 - threshold) {
    process.stdout.write(`bench:guard: FAILED — ${((1 - ratio) * 100).toFixed(1)}% slower than ${base}: measure the change (npm run bench:budget) and win it back\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write('bench:guard: passed\n');
  }
} finally {
  rmSync(tree, { recursive: true, force: true });
  git('worktree', 'prune');
}
