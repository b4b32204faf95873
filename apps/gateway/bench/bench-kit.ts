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
export function bareProxyScript(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const out = join(here, 'dist', 'bare-proxy.mjs');
  const source = readFileSync(join(here, 'bare-proxy.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, outputText);
  return out;
}
