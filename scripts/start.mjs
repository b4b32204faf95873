// `npm start`: the demo upstreams and the gateway (apps/gateway start-demo) plus the console, on
// embedded defaults: SQLite under apps/console/data. Switches: on the Redis named by REDIS_URL when
// one is given; otherwise on a throwaway redis-server this script starts on a unix socket in a temp
// folder (when redis-server is installed) and removes at exit; otherwise embedded in the gateway,
// with the console on its admin API. A Redis nobody named is never touched: the machine's
// 127.0.0.1:6379 often belongs to something else. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const adminToken = process.env.BROWNOUT_ADMIN_TOKEN ?? 'demo-token';
const consolePort = process.env.BROWNOUT_CONSOLE_PORT ?? '3000';

/** A Redis answers PING within `ms` (redis://host:port URLs or a unix socket path). */
function redisAnswers(url, ms = 500) {
  return new Promise(resolve => {
    let target;
    if (url.startsWith('/')) target = { path: url };
    else {
      try {
        const u = new URL(url);
        if (u.protocol !== 'redis:') {
          resolve(true); // TLS, Sentinel and Cluster forms: the gateway and console connect (and report) themselves
          return;
        }
        target = { host: u.hostname, port: Number(u.port || 6379) };
      } catch {
        resolve(false);
        return;
      }
    }
    const s = net.connect(target);
    const done = ok => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', d => done(d.toString().startsWith('+PONG') || d.toString().startsWith('-NOAUTH')));
  });
}

function installed(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some(dir => {
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A redis-server of our own on a unix socket (no port to collide with), keeping nothing on disk. */
async function startThrowawayRedis() {
  const dir = mkdtempSync(path.join(tmpdir(), 'brownout-demo-redis-'));
  const socket = path.join(dir, 'redis.sock');
  const proc = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const cleanup = () => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  proc.on('error', () => undefined);
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers(socket, 200)) return { url: socket, proc, cleanup };
    if (proc.exitCode !== null) break;
    await new Promise(r => setTimeout(r, 50));
  }
  cleanup();
  return undefined;
}

let redis; // { url, source: 'given' | 'throwaway', proc?, cleanup? }
if (process.env.REDIS_URL) {
  if (await redisAnswers(process.env.REDIS_URL)) redis = { url: process.env.REDIS_URL, source: 'given' };
  // Never the password: the URL is printed with it masked.
  else process.stderr.write(`brownout: REDIS_URL ${process.env.REDIS_URL.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@')} does not answer; running with embedded switches\n`);
} else if (installed('redis-server')) {
  const own = await startThrowawayRedis();
  if (own) redis = { ...own, source: 'throwaway' };
  else process.stderr.write('brownout: could not start a throwaway redis-server; running with embedded switches\n');
}

const env = { ...process.env, BROWNOUT_ADMIN_TOKEN: adminToken, NEXT_TELEMETRY_DISABLED: '1' };
const gatewayEnv = { ...env, REDIS_URL: redis?.url ?? '', BROWNOUT_DEMO_REDIS: redis?.source ?? 'none' };
const gateway = spawn(process.execPath, ['apps/gateway/dist/start-demo.js'], { cwd: root, env: gatewayEnv, stdio: 'inherit' });
const consoleEnv = {
  ...env,
  PORT: consolePort,
  BROWNOUT_CONSOLE_DATA_DIR: process.env.BROWNOUT_CONSOLE_DATA_DIR ?? `${root}apps/console/data`,
  ...(redis ? { REDIS_URL: redis.url } : { REDIS_URL: '', BROWNOUT_GATEWAY_URL: 'http://127.0.0.1:9901', BROWNOUT_GATEWAY_TOKEN: adminToken }),
};
const consoleProc = spawn(process.execPath, ['server.mjs'], { cwd: `${root}apps/console`, env: consoleEnv, stdio: ['ignore', 'ignore', 'inherit'] });

const redisLine = !redis
  ? `single-gateway mode (${process.env.REDIS_URL ? 'REDIS_URL did not answer' : 'redis-server not installed'}): the gateway admin API at http://127.0.0.1:9901`
  : redis.source === 'throwaway'
    ? `fleet mode on a throwaway redis-server (${redis.url}), removed at exit; REDIS_URL=… to use your own`
    : `fleet mode (Redis from REDIS_URL)`;
setTimeout(() => {
  const admin = process.env.BROWNOUT_CONSOLE_ADMIN_EMAIL
    ? `first admin: ${process.env.BROWNOUT_CONSOLE_ADMIN_EMAIL} (from BROWNOUT_CONSOLE_ADMIN_EMAIL / BROWNOUT_CONSOLE_ADMIN_PASSWORD)`
    : `first admin: none configured — open http://127.0.0.1:${consolePort}/setup once to create it\n                  (or start with BROWNOUT_CONSOLE_ADMIN_EMAIL and BROWNOUT_CONSOLE_ADMIN_PASSWORD set)`;
  process.stdout.write(`
  console         http://127.0.0.1:${consolePort}     ${redisLine}
                  ${admin}
                  data: SQLite in ${consoleEnv.BROWNOUT_CONSOLE_DATA_DIR} (DATABASE_URL=postgresql://… for PostgreSQL)
`);
}, 2_500).unref();

let stopping = false;
const stop = signal => {
  if (stopping) return;
  stopping = true;
  gateway.kill(signal);
  consoleProc.kill(signal);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
for (const child of [gateway, consoleProc]) {
  child.on('exit', code => {
    if (!stopping) {
      process.stderr.write(`brownout: a component exited (${code}); stopping the rest\n`);
      stop('SIGTERM');
    }
    if (gateway.exitCode !== null && consoleProc.exitCode !== null) {
      redis?.cleanup?.();
      process.exit(code ?? 0);
    }
  });
}
