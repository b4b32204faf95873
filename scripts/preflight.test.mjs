// The preflight `npm test` runs first: with a tool missing from PATH (and no way to install it),
// it names the tool and its package and stops before any test runs.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOOLS } from './preflight.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A PATH holding a stand-in executable for every tool but `without` (and no apt-get: nothing can be installed). */
function pathWithout(without) {
  const dir = mkdtempSync(path.join(tmpdir(), 'brownout-preflight-'));
  for (const t of TOOLS) {
    if (t.command === without) continue;
    const f = path.join(dir, t.command);
    writeFileSync(f, '#!/bin/sh\nexit 0\n');
    chmodSync(f, 0o755);
  }
  return dir;
}

const run = (script, env, args = []) =>
  spawnSync(process.execPath, [path.join(root, 'scripts', script), ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });

describe('npm test preflight', () => {
  let noPromtool;
  before(() => {
    noPromtool = pathWithout('promtool');
  });

  it('passes when every tool is on PATH', () => {
    const r = run('preflight.mjs', { PATH: pathWithout('') }, ['--check']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  it('names the missing tool, its Debian package and the install command, and nothing else', () => {
    const r = run('preflight.mjs', { PATH: noPromtool });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /promtool\s+\(Debian package prometheus\)/);
    assert.match(r.stderr, /apt-get install -y prometheus\n/);
    for (const t of TOOLS.filter(x => x.command !== 'promtool')) assert.doesNotMatch(r.stderr, new RegExp(`^\\s+${t.command}\\s`, 'm'), `${t.command} is present`);
    assert.doesNotMatch(r.stdout, /installing/, 'no apt-get on this PATH: nothing is installed');
  });

  it('npm test itself stops before building or running anything', () => {
    const r = run('test.mjs', { PATH: noPromtool });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /promtool/);
    assert.match(r.stderr, /0 passed, 0 failed \(not run\)/);
    assert.doesNotMatch(r.stdout, /turbo|# pass/);
  });

  it('says which PostgreSQL it needs when none answers', () => {
    const r = run('preflight.mjs', { PATH: pathWithout(''), BROWNOUT_TEST_PG_URL: 'postgresql://postgres@127.0.0.1:1/postgres' }, ['--check']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /PostgreSQL on 127\.0\.0\.1:1/);
    assert.match(r.stderr, /BROWNOUT_TEST_PG_URL/);
  });
});
