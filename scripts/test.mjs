// `npm test`: the preflight (system tools and services the suite needs, installed when this
// process may), then every workspace's tests through turbo, then the root's own tests of the two
// commands (scripts/*.test.mjs); it streams their output and closes with one plain summary line
// ("N passed, N failed") summed over everything, so CI reads a single verdict.
import { spawn } from 'node:child_process';
import { preflight } from './preflight.mjs';

const problems = await preflight();
if (problems.length > 0) {
  process.stderr.write(`\n${problems.join('\n\n')}\n\n0 passed, 0 failed (not run)\n`);
  process.exit(1);
}

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', NEXT_TELEMETRY_DISABLED: '1' };
const run = (command, args) =>
  new Promise((resolve) => {
    let out = '';
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });

const build = await run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
if (build.code !== 0) process.exit(build.code);
const workspaces = await run('npx', ['turbo', 'run', 'test', '--concurrency=1', '--log-prefix=none', ...process.argv.slice(2)]);
const root = await run(process.execPath, ['--test', '--test-concurrency=1', 'scripts/preflight.test.mjs', 'scripts/start.test.mjs']);
let passed = 0;
let failed = 0;
for (const m of (workspaces.out + root.out).matchAll(/^# (pass|fail) (\d+)$/gm)) {
  if (m[1] === 'pass') passed += Number(m[2]);
  else failed += Number(m[2]);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(workspaces.code !== 0 || root.code !== 0 || failed > 0 || passed === 0 ? 1 : 0);
