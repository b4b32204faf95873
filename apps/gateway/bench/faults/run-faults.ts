/**
 * The fault scorecard (`npm run bench:faults`): every scenario × contender × repetition, each with
 * a fresh proxy in front of the same three hosts and the same open-loop load, then the fleet
 * scenario. Writes results/faults.json (every run and the medians), results/faults.md (the table
 * the README quotes) and results/charts/<scenario>.svg. Loopback only; every process it starts is
 * stopped on the way out.
 *
 * Environment: FAULTS_SCENARIOS, FAULTS_CONTENDERS (comma lists), FAULTS_REPS (2), FAULTS_RATE
 * (req/s, 300), FAULTS_STEADY_MS (1500), FAULTS_FAULT_MS (5000), FAULTS_RECOVERY_MS (3000),
 * FAULTS_TIMEOUT_MS (client timeout, 2000), FAULTS_FLEET (1; 0 skips it), FAULTS_OUT (results dir).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { writeSwitchDocument } from '@brownout/control-plane';
import { commandExists, startContender, type ContenderName, type RunningContender } from './contenders.ts';
import { SCENARIOS, type Scenario } from './scenarios.ts';
import { openLoop } from './load.ts';
import { median, runStats, series, type RunStats, type SeriesPoint, type Timeline } from './analysis.ts';
import { scenarioChart } from './chart.ts';
import type { HostCommand, HostReply } from './upstream-hosts.ts';

const env = process.env;
const num = (name: string, dflt: number): number => (env[name] === undefined ? dflt : Number(env[name]));
const list = (name: string): string[] | undefined => env[name]?.split(',').map(s => s.trim()).filter(Boolean);

const OPTS = {
  reps: num('FAULTS_REPS', 2),
  rate: num('FAULTS_RATE', 300),
  steadyMs: num('FAULTS_STEADY_MS', 1_500),
  faultMs: num('FAULTS_FAULT_MS', 5_000),
  recoveryMs: num('FAULTS_RECOVERY_MS', 3_000),
  timeoutMs: num('FAULTS_TIMEOUT_MS', 2_000),
  fleet: env.FAULTS_FLEET !== '0',
  out: env.FAULTS_OUT ?? fileURLToPath(new URL('./results', import.meta.url)),
};

const epochNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));

/** The hosts' process and a request/answer channel to it. */
class Hosts {
  private readonly proc: ChildProcess;
  private next = 1;
  private readonly waiting = new Map<number, (r: HostReply) => void>();
  ports: readonly number[] = [];

  constructor() {
    this.proc = fork(fileURLToPath(new URL('./upstream-hosts.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  }

  async ready(): Promise<void> {
    const reply = await new Promise<HostReply>((resolve, reject) => {
      this.proc.once('error', reject);
      this.proc.on('message', (m: HostReply) => {
        if (m.op === 'ready') resolve(m);
        else if ('id' in m) this.waiting.get(m.id)?.(m);
      });
    });
    if (reply.op === 'ready') this.ports = reply.ports;
  }

  ask(cmd: HostCommand): Promise<HostReply> {
    const id = this.next++;
    return new Promise(resolve => {
      this.waiting.set(id, r => {
        this.waiting.delete(id);
        resolve(r);
      });
      this.proc.send({ ...cmd, id });
    });
  }

  async hits(): Promise<readonly (readonly number[])[]> {
    const r = await this.ask({ op: 'hits' });
    return r.op === 'hits' ? r.hits : [];
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise(r => this.proc.once('exit', r));
    void this.ask({ op: 'stop' });
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(t);
  }
}

interface RunResult {
  readonly scenario: string;
  readonly contender: ContenderName;
  readonly rep: number;
  readonly stats: RunStats;
  readonly series: SeriesPoint[];
}

function timeline(start: number): Timeline {
  const faultAt = start + OPTS.steadyMs;
  const recoverAt = faultAt + OPTS.faultMs;
  return { start, faultAt, recoverAt, end: recoverAt + OPTS.recoveryMs };
}

/** What is running now, so an interrupted run (Ctrl-C) still stops everything it started. */
const live = new Set<{ stop(): Promise<void> }>();
process.once('SIGINT', () => {
  void Promise.all([...live].map(p => p.stop())).finally(() => process.exit(130));
});

async function runOne(hosts: Hosts, s: Scenario, name: ContenderName, rep: number): Promise<RunResult> {
  await hosts.ask({ op: 'reset' });
  const proxy = await startContender(name, { hostPorts: hosts.ports });
  live.add(proxy);
  try {
    const t = timeline(epochNow() + 200);
    const timers = s.steps.map(step =>
      setTimeout(() => void hosts.ask({ op: 'mode', ...step }), t.faultAt + step.afterMs - epochNow()),
    );
    timers.push(setTimeout(() => void hosts.ask({ op: 'heal' }), t.recoverAt - epochNow()));
    const samples = await openLoop({ targets: [proxy.url], rate: OPTS.rate, durationMs: t.end - t.start, timeoutMs: OPTS.timeoutMs, startAt: t.start });
    for (const tm of timers) clearTimeout(tm);
    const stats = runStats(samples, (await hosts.hits())[0]!, t);
    return { scenario: s.name, contender: name, rep, stats, series: series(samples, t) };
  } finally {
    await proxy.stop();
    live.delete(proxy);
  }
}

interface FleetResult {
  readonly instances: number;
  readonly requests: number;
  readonly failures: number;
  /** ms from the switch write until each instance served only the fallback. */
  readonly convergedAfterMs: readonly (number | null)[];
  readonly degradedAnswers: number;
}

/** Three Brownout instances on one Redis behind a client-side round-robin spreader; an operator flips the route to `default` mid-run. */
async function runFleet(hosts: Hosts): Promise<FleetResult> {
  await hosts.ask({ op: 'reset' });
  const dir = mkdtempSync(join(tmpdir(), 'brownout-faults-fleet-'));
  const socket = join(dir, 'redis.sock');
  const redisProc = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const redisHandle = {
    stop: (): Promise<void> => {
      redisProc.kill('SIGTERM');
      return Promise.resolve();
    },
  };
  live.add(redisHandle);
  const instances: RunningContender[] = [];
  const redis = new Redis(socket, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // until redis-server is up; the connect loop below waits for it
  try {
    for (let i = 0; i < 50; i++) {
      try {
        await redis.connect();
        break;
      } catch {
        await sleep(50);
      }
    }
    for (let i = 0; i < 3; i++) {
      const c = await startContender('brownout', { hostPorts: hosts.ports, env: { REDIS_URL: socket } });
      instances.push(c);
      live.add(c);
    }
    const t = timeline(epochNow() + 200);
    let flipAt = 0;
    const flip = setTimeout(() => {
      flipAt = epochNow();
      void writeSwitchDocument(
        redis,
        {
          routes: { api: { mode: 'default', reason: 'fault scorecard: operator flips the route mid-run', actor: 'bench' } },
          fallbacks: { api: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"items":[],"degraded":true}' } },
        },
        'bench',
      );
    }, t.faultAt - epochNow());
    const samples = await openLoop({ targets: instances.map(c => c.url), rate: OPTS.rate, durationMs: t.end - t.start, timeoutMs: OPTS.timeoutMs, startAt: t.start });
    clearTimeout(flip);
    const converged = instances.map((_, i) => {
      const mine = samples.filter(s => s.target === i);
      const lastPlain = mine.findLast(s => !s.degraded);
      const firstAfter = mine.find(s => s.at > (lastPlain?.at ?? 0));
      if (!firstAfter || !firstAfter.degraded) return null;
      return Math.max(0, Math.round(firstAfter.at + firstAfter.ms - flipAt));
    });
    return {
      instances: instances.length,
      requests: samples.length,
      failures: samples.filter(s => s.status < 200 || s.status >= 300).length,
      convergedAfterMs: converged,
      degradedAnswers: samples.filter(s => s.degraded).length,
    };
  } finally {
    await Promise.all(instances.map(c => c.stop()));
    for (const c of instances) live.delete(c);
    redis.disconnect();
    await redisHandle.stop();
    live.delete(redisHandle);
  }
}

interface Cell {
  readonly scenario: string;
  readonly contender: ContenderName;
  readonly faultFailures: number | null;
  readonly failures: number | null;
  readonly requests: number | null;
  readonly degraded: number | null;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly stoppedAfterMs: number | null;
  readonly badHostRequests: number | null;
  readonly badHostShareAfter2sPct: number | null;
  readonly backAfterMs: number | null;
}

function cells(runs: readonly RunResult[]): Cell[] {
  const out: Cell[] = [];
  for (const s of SCENARIOS) {
    for (const c of s.contenders) {
      const r = runs.filter(x => x.scenario === s.name && x.contender === c);
      if (r.length === 0) continue;
      const m = (f: (x: RunResult) => number | null): number | null => median(r.map(f));
      out.push({
        scenario: s.name,
        contender: c,
        faultFailures: m(x => x.stats.fault.failures),
        failures: m(x => x.stats.all.failures),
        requests: m(x => x.stats.all.requests),
        degraded: m(x => x.stats.all.degraded),
        p50: m(x => x.stats.all.p50),
        p99: m(x => x.stats.all.p99),
        max: m(x => x.stats.all.max),
        stoppedAfterMs: m(x => x.stats.badHost.stoppedAfterMs),
        badHostRequests: m(x => x.stats.badHost.requestsDuringFault),
        badHostShareAfter2sPct: m(x => x.stats.badHost.shareAfter2sPct),
        backAfterMs: m(x => x.stats.badHost.backAfterMs),
      });
    }
  }
  return out;
}

const fmt = (v: number | null, unit = ''): string => (v === null ? 'never' : `${v}${unit}`);

function markdown(table: readonly Cell[], fleet: FleetResult | undefined, skipped: readonly string[]): string {
  let md = `Fault scorecard: ${OPTS.rate} req/s open loop, steady ${OPTS.steadyMs / 1000} s → fault ${OPTS.faultMs / 1000} s → recovery ${OPTS.recoveryMs / 1000} s, ` +
    `client timeout ${OPTS.timeoutMs / 1000} s, medians of ${OPTS.reps} runs per cell. Failures = non-2xx, errors and client timeouts; ` +
    `"bad host" = host 0 (requests, not health checks). Command: \`npm run bench:faults\`.\n\n`;
  md += '| scenario | contender | failed (fault phase) | failed (whole run) | degraded answers | p50 ms | p99 ms | max ms | bad host out after | requests to bad host | its share of fair traffic from 2 s on | back after recovery |\n';
  md += '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n';
  for (const c of table) {
    md += `| ${c.scenario} | ${c.contender} | ${fmt(c.faultFailures)} | ${fmt(c.failures)} / ${fmt(c.requests)} | ${fmt(c.degraded)} | ${fmt(c.p50)} | ${fmt(c.p99)} | ${fmt(c.max)} | ${fmt(c.stoppedAfterMs, ' ms')} | ${fmt(c.badHostRequests)} | ${fmt(c.badHostShareAfter2sPct, '%')} | ${fmt(c.backAfterMs, ' ms')} |\n`;
  }
  if (fleet) {
    md += `\nFleet: ${fleet.instances} Brownout instances on one Redis, client-side round robin, route flipped to \`default\` through the control plane mid-run: ` +
      `every instance served only the fallback after ${fleet.convergedAfterMs.map(v => fmt(v, ' ms')).join(', ')}; ` +
      `${fleet.failures} of ${fleet.requests} requests failed; ${fleet.degradedAnswers} degraded answers.\n`;
  }
  if (skipped.length > 0) md += `\nSkipped (not installed): ${skipped.join(', ')}.\n`;
  return md;
}

async function main(): Promise<void> {
  const wantScenarios = list('FAULTS_SCENARIOS');
  const wantContenders = list('FAULTS_CONTENDERS');
  const skipped = (['nginx', 'haproxy'] as const).filter(c => !commandExists(c));
  const scenarios = SCENARIOS.filter(s => !wantScenarios || wantScenarios.includes(s.name));
  const runnable = (c: ContenderName): boolean => !(skipped as readonly string[]).includes(c) && (!wantContenders || wantContenders.includes(c));
  const hosts = new Hosts();
  live.add(hosts);
  const runs: RunResult[] = [];
  let fleet: FleetResult | undefined;
  const started = Date.now();
  try {
    await hosts.ready();
    for (let rep = 1; rep <= OPTS.reps; rep++) {
      for (const s of scenarios) {
        for (const c of s.contenders.filter(runnable)) {
          const r = await runOne(hosts, s, c, rep);
          runs.push(r);
          const st = r.stats;
          process.stdout.write(
            `${s.name.padEnd(12)} ${c.padEnd(22)} rep ${rep}: failed ${st.fault.failures}/${st.fault.requests} in fault, ${st.all.failures}/${st.all.requests} overall; ` +
              `p99 ${st.all.p99} ms; bad host out after ${fmt(st.badHost.stoppedAfterMs, ' ms')}, ${st.badHost.requestsDuringFault} requests, back ${fmt(st.badHost.backAfterMs, ' ms')}\n`,
          );
        }
      }
    }
    if (OPTS.fleet && (!wantContenders || wantContenders.includes('brownout')) && commandExists('redis-server')) {
      fleet = await runFleet(hosts);
      process.stdout.write(`fleet: converged after ${fleet.convergedAfterMs.join(', ')} ms; ${fleet.failures}/${fleet.requests} failed\n`);
    }
  } finally {
    await hosts.stop();
  }
  const table = cells(runs);
  mkdirSync(join(OPTS.out, 'charts'), { recursive: true });
  const durationS = (OPTS.steadyMs + OPTS.faultMs + OPTS.recoveryMs) / 1000;
  for (const s of scenarios) {
    const lines = s.contenders.filter(runnable).flatMap(c => {
      const r = runs.find(x => x.scenario === s.name && x.contender === c && x.rep === 1);
      return r ? [{ label: c, points: r.series }] : [];
    });
    if (lines.length > 0) writeFileSync(join(OPTS.out, 'charts', `${s.name}.svg`), scenarioChart(s.title, lines, [OPTS.steadyMs / 1000, (OPTS.steadyMs + OPTS.faultMs) / 1000], durationS));
  }
  const result = { options: OPTS, skipped, seconds: Math.round((Date.now() - started) / 1000), cells: table, fleet, runs: runs.map(({ series: _s, ...r }) => r) };
  writeFileSync(join(OPTS.out, 'faults.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(OPTS.out, 'faults.md'), markdown(table, fleet, skipped));
  process.stdout.write(`\n${markdown(table, fleet, skipped)}\nwrote ${OPTS.out} in ${result.seconds} s\n`);
}

await main();
