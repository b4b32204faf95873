/**
 * The proxies the scorecard puts in front of the same three hosts, each started fresh per run from
 * its committed config (configs/) and stopped afterwards, whatever happened. nginx, HAProxy and
 * redis-server come from Debian (apt-get install -y nginx-light haproxy redis-server); the runner
 * installs nothing itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ContenderName = 'brownout' | 'brownout+degradation' | 'brownout-defaults' | 'nginx' | 'haproxy' | 'bare';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const GATEWAY_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** What Brownout's route gets in the "+degradation" variant: a default answer and a breaker. */
const DEGRADATION = `    circuit_breaker: { consecutive_failures: 5, open_duration: 2s }
    degradation:
      mode: default
      default_response: { status: 200, headers: { content-type: application/json }, body: '{"items":[],"degraded":true}' }`;

export interface RunningContender {
  readonly name: ContenderName;
  readonly url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => {
        resolve(port);
      });
    });
  });
}

function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(values[k] ?? ''));
}

export function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export interface StartOptions {
  readonly hostPorts: readonly number[];
  /** Extra environment (the fleet scenario's REDIS_URL). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts a contender and waits until it answers through to the hosts. */
export async function startContender(name: ContenderName, o: StartOptions): Promise<RunningContender> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `brownout-faults-${name.replace('+', '-')}-`));
  const [h0, h1, h2] = o.hostPorts;
  const values = { PORT: port, H0: h0!, H1: h1!, H2: h2!, DIR: dir, ADMIN_PORT: await freePort(), DEGRADATION: name === 'brownout+degradation' ? DEGRADATION : '' };
  let proc: ChildProcess;
  switch (name) {
    case 'brownout':
    case 'brownout+degradation':
    case 'brownout-defaults': {
      const cfg = join(dir, 'brownout.yaml');
      writeFileSync(cfg, fill(readFileSync(join(HERE, name === 'brownout-defaults' ? 'configs/brownout-defaults.yaml' : 'configs/brownout.yaml'), 'utf8'), values));
      // Its operational log (ejections, switches) goes to a file in the run's directory.
      proc = spawn(process.execPath, [GATEWAY_MAIN, '--config', cfg, '--access-log', 'off'], {
        stdio: ['ignore', openSync(join(dir, 'gateway.log'), 'w'), openSync(join(dir, 'gateway.log'), 'a')],
        env: { ...process.env, BROWNOUT_SWITCH_SNAPSHOT: join(dir, 'switches.json'), ...o.env },
      });
      break;
    }
    case 'nginx': {
      for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
      const cfg = join(dir, 'nginx.conf');
      writeFileSync(cfg, fill(readFileSync(join(HERE, 'configs/nginx.conf'), 'utf8'), values));
      proc = spawn('nginx', ['-p', dir, '-c', cfg, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'inherit'] });
      break;
    }
    case 'haproxy': {
      const cfg = join(dir, 'haproxy.cfg');
      writeFileSync(cfg, fill(readFileSync(join(HERE, 'configs/haproxy.cfg'), 'utf8'), values));
      // -db: stay in the foreground; -q: no warnings on stdout.
      proc = spawn('haproxy', ['-db', '-q', '-f', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
      break;
    }
    case 'bare':
      proc = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'bare-proxy.ts'), String(port), ...o.hostPorts.map(p => `http://127.0.0.1:${p}`)], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      break;
  }
  let exited = false;
  const exit = new Promise<void>(resolve => {
    proc.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (exited) return;
    // nginx: SIGTERM is its fast shutdown; everyone else drains or exits on SIGTERM.
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exit;
    clearTimeout(killer);
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(url, () => exited);
  } catch (e) {
    await stop();
    throw new Error(`${name} did not start: ${(e as Error).message}`);
  }
  return { name, url, stop };
}

/** Five answers in a row from the hosts (a fresh proxy may still be health-checking them). */
async function waitUntilServing(url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  let good = 0;
  while (good < 5) {
    if (exited()) throw new Error('it exited');
    if (Date.now() > deadline) throw new Error('no answers within 15 s');
    try {
      const r = await fetch(`${url}/ready-check`, { signal: AbortSignal.timeout(1_000) });
      await r.arrayBuffer();
      good = r.status === 200 ? good + 1 : 0;
    } catch {
      good = 0;
    }
    if (good < 5) await new Promise(r => setTimeout(r, 50));
  }
}
