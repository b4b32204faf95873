// The test suite's preflight: every system tool and service `npm test` starts or drives, found
// before a single test runs. Missing Debian packages are installed when this process may (root and
// apt-get on PATH), saying what it installs; otherwise it stops with one message listing exactly
// what to install. `.ci/run` and `npm test` both come through here, so a newcomer's first run and
// CI see the same checks.
//
//   node scripts/preflight.mjs            check, install what is missing when possible
//   node scripts/preflight.mjs --check    check only (exit 1 with the list when anything is missing)
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** What the suite needs, the command it looks for on PATH, the Debian package that brings it, and who uses it. */
export const TOOLS = [
  { command: 'redis-server', pkg: 'redis-server', why: 'throwaway Redis servers for the control-plane, gateway and console tests' },
  { command: 'chromium', pkg: 'chromium', why: "the console's browser tests (playwright-core drives Debian's Chromium)" },
  { command: 'promtool', pkg: 'prometheus', why: 'checks the gateway\'s metrics scrape (promtool check metrics)' },
  { command: 'openssl', pkg: 'openssl', why: 'throwaway CAs and certificates for the TLS tests' },
  { command: 'curl', pkg: 'curl', why: 'a second, independent HTTP client in the TLS, HTTP/2 and Expect tests' },
  { command: 'ps', pkg: 'procps', why: 'reads process trees in the worker tests' },
];

/** The first executable called `command` on `searchPath`, or undefined. */
export function which(command, searchPath = process.env.PATH ?? '') {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function missingTools(searchPath = process.env.PATH ?? '') {
  return TOOLS.filter(t => !which(t.command, searchPath));
}

/** The lines a person reads when something cannot be installed here. */
export function missingMessage(missing) {
  const pkgs = [...new Set(missing.map(t => t.pkg))];
  return [
    `npm test needs ${missing.length === 1 ? 'a tool' : 'tools'} this machine does not have; nothing was run.`,
    ...missing.map(t => `  ${t.command.padEnd(13)} (Debian package ${t.pkg}): ${t.why}`),
    `Install ${pkgs.length === 1 ? 'it' : 'them'} with:`,
    `  sudo apt-get install -y ${pkgs.join(' ')}`,
  ].join('\n');
}

function canInstall(searchPath) {
  return typeof process.getuid === 'function' && process.getuid() === 0 && which('apt-get', searchPath) !== undefined;
}

function install(missing) {
  const pkgs = [...new Set(missing.map(t => t.pkg))];
  process.stdout.write(`preflight: installing ${pkgs.join(', ')} (apt-get, missing: ${missing.map(t => t.command).join(', ')})\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (update.status !== 0) return false;
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  return r.status === 0;
}

/** Whether something accepts TCP connections on host:port within `ms`. */
function answers(host, port, ms = 1_000) {
  return new Promise(resolve => {
    const s = net.connect({ host, port });
    const done = ok => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => done(true));
  });
}

/** The console's data tests use the machine's PostgreSQL (or BROWNOUT_TEST_PG_URL): start an installed but stopped cluster. */
async function ensurePostgres(searchPath, checkOnly) {
  const u = new URL(process.env.BROWNOUT_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || 5432);
  if (await answers(host, port)) return undefined;
  if (!checkOnly && which('pg_ctlcluster', searchPath)) {
    const { readdirSync } = await import('node:fs');
    for (const version of readdirSync('/etc/postgresql')) {
      process.stdout.write(`preflight: starting PostgreSQL ${version} (pg_ctlcluster ${version} main start)\n`);
      spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'ignore' });
    }
    if (await answers(host, port, 3_000)) return undefined;
  }
  return `npm test needs PostgreSQL on ${host}:${port} with trust auth for the console's data tests (throwaway databases); nothing was run.\n  Start it, or point BROWNOUT_TEST_PG_URL at one (postgresql://user@host:port/postgres).`;
}

export async function preflight({ searchPath = process.env.PATH ?? '', checkOnly = false } = {}) {
  let missing = missingTools(searchPath);
  if (missing.length > 0 && !checkOnly && canInstall(searchPath)) {
    install(missing);
    missing = missingTools(searchPath);
  }
  const problems = [];
  if (missing.length > 0) problems.push(missingMessage(missing));
  const pg = await ensurePostgres(searchPath, checkOnly);
  if (pg) problems.push(pg);
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = await preflight({ checkOnly: process.argv.includes('--check') });
  if (problems.length > 0) {
    process.stderr.write(`\n${problems.join('\n\n')}\n\n`);
    process.exit(1);
  }
}
