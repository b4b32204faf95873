// Runs every workspace's tests through turbo, streams their output, and closes with one plain
// summary line ("N passed, N failed") summed over all packages, so CI reads a single verdict.
import { spawn } from 'node:child_process';

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', NEXT_TELEMETRY_DISABLED: '1' };
const run = (args) =>
  new Promise((resolve) => {
    let out = '';
    const child = spawn('npx', ['turbo', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });

const build = await run(['run', 'build', '--output-logs=errors-only']);
if (build.code !== 0) process.exit(build.code);
const test = await run(['run', 'test', '--concurrency=1', '--log-prefix=none', ...process.argv.slice(2)]);
let passed = 0;
let failed = 0;
for (const m of test.out.matchAll(/^# (pass|fail) (\d+)$/gm)) {
  if (m[1] === 'pass') passed += Number(m[2]);
  else failed += Number(m[2]);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(test.code !== 0 || failed > 0 || passed === 0 ? 1 : 0);
