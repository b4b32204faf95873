/**
 * Scaling with worker processes (`workers: N`): Brownout with 1 and 2 workers against bare
 * @fastify/http-proxy (one process), nginx with 2 workers and HAProxy with 2 threads, in one run,
 * interleaved rounds, medians. Unlike proxy.bench.ts nothing is pinned: a 2-worker proxy needs both
 * cores, so wrk and the nginx upstream share them with it — on this 2-core VM that caps every
 * contender well below twice its one-core figure, and the report says so.
 * Run: npm run bench:workers -w @brownout/gateway (needs wrk, nginx-light, haproxy).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { haproxyConfig } from './haproxy-config.ts';
import { bareProxyScript } from './bench-kit.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const UPSTREAM = 18180;
/**
 * `brownout-2w-os`: the same two workers with node:cluster's other scheduling policy
 * (NODE_CLUSTER_SCHED_POLICY=none: every worker accepts on the shared socket and the kernel picks),
 * the comparison behind the default (round robin by the primary).
 */
const PORTS = { 'brownout-1w': 18181, 'brownout-2w': 18182, 'brownout-2w-os': 18186, bare: 18183, 'nginx-2w': 18184, 'haproxy-2t': 18185 } as const;
type Case = keyof typeof PORTS;
const CASES = Object.keys(PORTS) as Case[];
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const BARE_PROXY = bareProxyScript();
const OUT = fileURLToPath(new URL('./results/workers.json', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'brownout-bench-workers-'));

for (const cmd of ['wrk', 'nginx', 'haproxy']) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`bench: "${cmd}" is missing. Install with: apt-get install -y wrk nginx-light haproxy\n`);
    process.exit(2);
  }
}

const children: ChildProcess[] = [];
function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  // Own process group: the proxy's workers go down with it.
  const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, ...env } });
  children.push(c);
  return c;
}
function stopAll(): void {
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

async function waitFor(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/bench`);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // not yet
    }
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`nothing answers on ${port}`);
}

function nginxConf(name: string, workers: number, server: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  const f = join(d, 'nginx.conf');
  writeFileSync(
    f,
    `daemon off; master_process on; worker_processes ${workers}; pid ${d}/nginx.pid; error_log ${d}/error.log crit;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${d}; proxy_temp_path ${d}; fastcgi_temp_path ${d}; uwsgi_temp_path ${d}; scgi_temp_path ${d};
${server} }`,
  );
  return f;
}

/** CPU seconds of a process and all its descendants (a primary and its workers). */
function treeCpu(pid: number): number {
  let ticks = 0;
  const visit = (p: number): void => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(' ') : []) visit(Number(k));
    } catch {
      // exited
    }
  };
  visit(pid);
  return ticks / 100;
}

interface Result { rps: number; cpu: number; p99: number }

function wrk(port: number, pid: number): Result {
  const before = treeCpu(pid);
  const out = execFileSync('wrk', ['-t2', '-c100', `-d${SECONDS}s`, '--latency', `http://127.0.0.1:${port}/bench`], { encoding: 'utf8' });
  const cpu = (treeCpu(pid) - before) / SECONDS;
  if (/Non-2xx/.test(out)) throw new Error(`non-2xx through ${port}:\n${out}`);
  const p = /^\s+99%\s+([\d.]+)(us|ms|s)/m.exec(out)!;
  const p99 = Number(p[1]) * (p[2] === 'us' ? 0.001 : p[2] === 's' ? 1000 : 1);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]), cpu, p99 };
}

start('nginx', ['-c', nginxConf('upstream', 1, `server { listen 127.0.0.1:${UPSTREAM}; location / { return 200 'hello world'; } }`)]);
await waitFor(UPSTREAM);

const gatewayConfig = (port: number, workers: number) => ({
  listener: { address: '127.0.0.1', port },
  admin: { address: '127.0.0.1', port: port + 100, token: 'bench' },
  workers,
  clusters: [
    {
      name: 'origin',
      hosts: [`127.0.0.1:${UPSTREAM}`],
      outlier_detection: { consecutive_5xx: 5, interval: '10s', always_eject_one_host: true },
      health_checks: [{ timeout: '1s', interval: '5s', unhealthy_threshold: 3, healthy_threshold: 2, http_health_check: { path: '/healthz' } }],
      circuit_breakers: { thresholds: [{ max_requests: 4096 }] },
    },
  ],
  routes: [
    {
      name: 'bench',
      match: { prefix: '/' },
      cluster: 'origin',
      timeout: '5s',
      retry_policy: { retry_on: ['5xx', 'reset', 'connect-failure'], num_retries: 2, per_try_timeout: '1s' },
      circuit_breaker: { consecutive_failures: 50, failure_ratio: 0.5, minimum_requests: 100 },
      rate_limit: { token_bucket: { max_tokens: 1_000_000_000, tokens_per_fill: 1_000_000_000, fill_interval: '1s' } },
      degradation: { mode: 'reject' },
    },
  ],
});

const procs = {} as Record<Case, ChildProcess>;
for (const [c, w] of [['brownout-1w', 1], ['brownout-2w', 2], ['brownout-2w-os', 2]] as const) {
  const f = join(dir, `${c}.yaml`);
  writeFileSync(f, stringify(gatewayConfig(PORTS[c], w)));
  procs[c] = start(process.execPath, [join(DIST, 'main.js'), '--config', f, '--access-log', 'off'], c === 'brownout-2w-os' ? { NODE_CLUSTER_SCHED_POLICY: 'none' } : {});
}
procs.bare = start(process.execPath, [BARE_PROXY, `http://127.0.0.1:${UPSTREAM}`, String(PORTS.bare)]);
procs['nginx-2w'] = start('nginx', [
  '-c',
  nginxConf('proxy', 2, `upstream origin { server 127.0.0.1:${UPSTREAM}; keepalive 128; }
  server { listen 127.0.0.1:${PORTS['nginx-2w']}; location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }`),
]);
const ha = join(dir, 'haproxy.cfg');
writeFileSync(
  ha,
  haproxyConfig(PORTS['haproxy-2t'], UPSTREAM, 2),
);
procs['haproxy-2t'] = start('haproxy', ['-f', ha, '-db']);
for (const c of CASES) await waitFor(PORTS[c]);

const results = Object.fromEntries(CASES.map(c => [c, [] as Result[]])) as Record<Case, Result[]>;
for (const c of CASES) wrk(PORTS[c], procs[c].pid!); // warm-up
for (let round = 1; round <= ROUNDS; round++) {
  for (const c of CASES) {
    const r = wrk(PORTS[c], procs[c].pid!);
    results[c].push(r);
    process.stdout.write(`round ${round} ${c.padEnd(12)} ${Math.round(r.rps)} req/s  proxy cpu ${(r.cpu * 100).toFixed(0)}%  p99 ${r.p99.toFixed(2)}ms\n`);
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** Same-round ratios, then their median: the machine's speed drifts between rounds. */
const ratio = (a: Case, b: Case): number => median(results[a].map((r, i) => r.rps / results[b][i]!.rps));
const summary = {
  date: new Date().toISOString(),
  cores: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
  rounds: ROUNDS,
  seconds: SECONDS,
  cases: Object.fromEntries(
    CASES.map(c => [
      c,
      {
        rps: Math.round(median(results[c].map(r => r.rps))),
        proxy_cpu: Number(median(results[c].map(r => r.cpu)).toFixed(2)),
        // Requests per CPU-second of the proxy's processes (primary and workers together).
        rps_per_proxy_cpu_s: Math.round(median(results[c].map(r => r.rps / r.cpu))),
        p99_ms: Number(median(results[c].map(r => r.p99)).toFixed(2)),
      },
    ]),
  ),
  brownout_2w_vs_bare: Number(ratio('brownout-2w', 'bare').toFixed(3)),
  brownout_2w_vs_1w: Number(ratio('brownout-2w', 'brownout-1w').toFixed(3)),
  /** Per CPU-second: what the primary, the IPC and a second pool cost (1.0 = nothing). */
  brownout_2w_vs_1w_per_cpu_s: Number(median(results['brownout-2w'].map((r, i) => r.rps / r.cpu / (results['brownout-1w'][i]!.rps / results['brownout-1w'][i]!.cpu))).toFixed(3)),
  brownout_2w_vs_nginx_2w: Number(ratio('brownout-2w', 'nginx-2w').toFixed(3)),
  brownout_2w_vs_haproxy_2t: Number(ratio('brownout-2w', 'haproxy-2t').toFixed(3)),
  brownout_2w_os_scheduling_vs_round_robin: Number(ratio('brownout-2w-os', 'brownout-2w').toFixed(3)),
};
writeFileSync(OUT, JSON.stringify({ ...summary, raw: results }, null, 2) + '\n');
process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\nwrote ${OUT}\n`);
process.exit(0);
