/**
 * What the benchmarks share: refusing to start over a stale process, starting pinned children in
 * their own process groups (all killed on exit), waiting for a port, nginx configs, per-process CPU
 * time from /proc, wrk's latency units, medians.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync, readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export function need(cmd: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`bench: "${cmd}" is missing. Install with: apt-get install -y wrk nginx-light haproxy util-linux\n`);
    process.exit(2);
  }
}

/** A stale process on one of our ports would be measured instead of the real case: refuse to run. */
export async function assertFree(port: number): Promise<void> {
  try {
    await fetch(`http://127.0.0.1:${port}/`);
  } catch {
    return;
  }
  process.stderr.write(`bench: something already answers on 127.0.0.1:${port}; stop it first\n`);
  process.exit(2);
}

const children: ChildProcess[] = [];
export function start(cpu: number, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  // Its own process group, so nginx's and HAProxy's workers go down with it (a killed master
  // alone leaves its worker holding the port, and the next run refuses to start).
  const c = spawn('taskset', ['-c', String(cpu), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
  children.push(c);
  return c;
}
process.on('exit', () => {
  for (const c of children) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

export async function waitFor(port: number, path = '/'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      /* not up yet */
    }
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`nothing answered 200 on port ${port}`);
}

export function nginxConf(dir: string, name: string, body: string): string {
  const f = join(dir, `${name}.conf`);
  writeFileSync(
    f,
    `worker_processes 1; daemon off; pid ${join(dir, name + '.pid')}; error_log ${join(dir, name + '.err')};
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; client_body_temp_path ${dir}; proxy_temp_path ${dir};
  fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  ${body} }
`,
  );
  return f;
}

/** utime + stime (in ticks) of a process and all its descendants. */
export function cpuTicks(pid: number): number {
  const tree = new Set([pid]);
  let grew = true;
  const stats = readdirSync('/proc')
    .filter(d => /^\d+$/.test(d))
    .map(d => {
      try {
        return readFileSync(`/proc/${d}/stat`, 'utf8');
      } catch {
        return '';
      }
    })
    .filter(Boolean)
    .map(s => {
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      return { pid: Number(s.slice(0, s.indexOf(' '))), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
    });
  while (grew) {
    grew = false;
    for (const p of stats) {
      if (tree.has(p.ppid) && !tree.has(p.pid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  return stats.filter(p => tree.has(p.pid)).reduce((a, p) => a + p.ticks, 0);
}

export function parseMs(v: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(v)!;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** One closed-loop wrk run from CPU 0: req/s, p50 and p99 (ms), and the proxy's CPU share over it. */
export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  cpu: number;
}
export function wrkClosed(port: number, seconds: number, connections: number, pid?: number): WrkResult {
  const before = pid ? cpuTicks(pid) : 0;
  const out = execFileSync('taskset', ['-c', '0', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/bench`], { encoding: 'utf8' });
  const cpu = pid ? (cpuTicks(pid) - before) / 100 / seconds : 0;
  if (/Non-2xx/.test(out)) throw new Error(`non-2xx answers through ${port}:\n${out}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50: parseMs(/^\s+50%\s+(\S+)/m.exec(out)![1]!),
    p99: parseMs(/^\s+99%\s+(\S+)/m.exec(out)![1]!),
    cpu,
  };
}

/**
 * p99 judged against a baseline in short windows. This VM has slow phases lasting 30–60 s that
 * halve every process's speed (invisible to CPU accounting: no steal is reported), so a p99 from a
 * 10 s window mostly says which phase it fell in. Windows of a few seconds, alternating between
 * the cases (ABBA), put every case's windows in the same phases; the figure is the median of the
 * same-round differences, with how many rounds came out at or below the baseline (a sign test).
 * Each window follows a 1 s warm-up of its own: a Node process left idle for ~10 s has its heap
 * shrunk by V8's memory reducer, and its first seconds back under load run extra scavenges (seen
 * as p99 2–4× the warm figure in every case, bare included, whenever a rotation was long).
 */
export function tailRounds(cases: readonly { name: string; port: number }[], rounds: number, seconds: number, connections: number, log: (line: string) => void): Map<string, number[]> {
  const p99 = new Map(cases.map(c => [c.name, [] as number[]]));
  for (let round = 1; round <= rounds; round++) {
    for (const c of round % 2 === 1 ? cases : [...cases].reverse()) {
      wrkClosed(c.port, 1, connections);
      const r = wrkClosed(c.port, seconds, connections);
      p99.get(c.name)!.push(r.p99);
      log(`tail round ${round} ${c.name.padEnd(26)} ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.p99.toFixed(2).padStart(6)}ms`);
    }
  }
  return p99;
}
/** Median of same-round differences against `base`, and the rounds at or below it. */
export function versus(xs: number[], base: number[]): { median: number; atOrBelow: number } {
  const d = xs.map((x, i) => x - base[i]!);
  return { median: median(d), atOrBelow: d.filter(v => v <= 0).length };
}

/**
 * The gateway config every throughput bench measures: one upstream, with the engine's features on
 * the request path (outlier detection, a health check, limits, retries, a breaker, a rate limit,
 * a fault filter at 0%, a degradation block), as a real deployment would have them.
 */
export const benchGatewayConfig = (port: number, upstreamPort: number): Record<string, unknown> => ({
  listener: { address: '127.0.0.1', port },
  admin: { address: '127.0.0.1', port: port + 100, token: 'bench' },
  clusters: [
    {
      name: 'origin',
      hosts: [`127.0.0.1:${upstreamPort}`],
      outlier_detection: { consecutive_5xx: 5, interval: '10s', always_eject_one_host: true },
      health_checks: [{ timeout: '1s', interval: '5s', unhealthy_threshold: 3, healthy_threshold: 2, http_health_check: { path: '/healthz' } }],
      circuit_breakers: { thresholds: [{ max_requests: 4096, retry_budget: { budget_percent: 20, min_retry_concurrency: 3 } }] },
    },
  ],
  routes: [
    {
      name: 'bench',
      match: { prefix: '/' },
      cluster: 'origin',
      priority: 'normal',
      timeout: '5s',
      retry_policy: { retry_on: ['5xx', 'reset', 'connect-failure'], num_retries: 2, per_try_timeout: '1s' },
      circuit_breaker: { consecutive_failures: 50, failure_ratio: 0.5, minimum_requests: 100 },
      rate_limit: { token_bucket: { max_tokens: 1_000_000_000, tokens_per_fill: 1_000_000_000, fill_interval: '1s' } },
      fault: { abort: { http_status: 503, percentage: 0 }, delay: { fixed_delay: '10ms', percentage: 0 } },
      degradation: { mode: 'reject' },
    },
  ],
});


/** The minimal gateway config (issue 27's second figure): one cluster, one route, no policy set. */
export const minimalGatewayConfig = (port: number, upstreamPort: number): Record<string, unknown> => ({
  listener: { address: '127.0.0.1', port },
  admin: { address: '127.0.0.1', port: port + 100, token: 'bench' },
  clusters: [{ name: 'origin', hosts: [`127.0.0.1:${upstreamPort}`] }],
  routes: [{ name: 'bench', match: { prefix: '/' }, cluster: 'origin' }],
});

/**
 * The bare proxy the gateway is judged against, as plain JavaScript: it runs under `node` alone,
 * as the gateway's dist/ does, so neither carries tsx's loader or source-map support into the
 * measured process. Transpiled (types stripped, nothing else) into bench/dist/ on each run.
 */
export const bareProxyScript = (): string => plainScript('bare-proxy');

/** A bench script under bench/ as plain JavaScript in bench/dist/ (types stripped), for a child `node`. */
export function plainScript(name: string): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const out = join(here, 'dist', `${name}.mjs`);
  const source = readFileSync(join(here, `${name}.ts`), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, outputText);
  return out;
}
