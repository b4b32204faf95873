// `npm start`: the demo upstreams and the gateway (apps/gateway start-demo) plus the console, on
// embedded defaults: SQLite under apps/console/data; fleet mode through Redis if one answers
// (REDIS_URL, else 127.0.0.1:6379), else the console talks to the gateway's admin API.
// Ctrl-C stops both.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const adminToken = process.env.BROWNOUT_ADMIN_TOKEN ?? 'demo-token';
const consolePort = process.env.BROWNOUT_CONSOLE_PORT ?? '3000';

/** A Redis answers PING within 500 ms (only redis://host:port URLs are probed here). */
function redisAnswers(url) {
  return new Promise(resolve => {
    let u;
    try {
      u = new URL(url);
    } catch {
      resolve(false);
      return;
    }
    const s = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = ok => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', d => done(d.toString().startsWith('+PONG')));
  });
}

const fleet = await redisAnswers(redisUrl);
const env = { ...process.env, BROWNOUT_ADMIN_TOKEN: adminToken, NEXT_TELEMETRY_DISABLED: '1' };
const gateway = spawn(process.execPath, ['apps/gateway/dist/start-demo.js'], { cwd: root, env: { ...env, ...(fleet && { REDIS_URL: redisUrl }) }, stdio: 'inherit' });
const consoleEnv = {
  ...env,
  PORT: consolePort,
  BROWNOUT_CONSOLE_DATA_DIR: process.env.BROWNOUT_CONSOLE_DATA_DIR ?? `${root}apps/console/data`,
  ...(fleet ? { REDIS_URL: redisUrl } : { REDIS_URL: '', BROWNOUT_GATEWAY_URL: 'http://127.0.0.1:9901', BROWNOUT_GATEWAY_TOKEN: adminToken }),
};
const consoleProc = spawn(process.execPath, ['server.mjs'], { cwd: `${root}apps/console`, env: consoleEnv, stdio: ['ignore', 'ignore', 'inherit'] });

setTimeout(() => {
  const admin = process.env.BROWNOUT_CONSOLE_ADMIN_EMAIL
    ? `first admin: ${process.env.BROWNOUT_CONSOLE_ADMIN_EMAIL} (from BROWNOUT_CONSOLE_ADMIN_EMAIL / BROWNOUT_CONSOLE_ADMIN_PASSWORD)`
    : `first admin: none configured — open http://127.0.0.1:${consolePort}/setup once to create it\n                  (or start with BROWNOUT_CONSOLE_ADMIN_EMAIL and BROWNOUT_CONSOLE_ADMIN_PASSWORD set)`;
  process.stdout.write(`
  console         http://127.0.0.1:${consolePort}     ${fleet ? `fleet mode (Redis ${redisUrl})` : 'single-gateway mode (no Redis answered): the gateway admin API at http://127.0.0.1:9901'}
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
    if (gateway.exitCode !== null && consoleProc.exitCode !== null) process.exit(code ?? 0);
  });
}
