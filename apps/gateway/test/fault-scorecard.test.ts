import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// A short run of the fault scorecard (bench/faults) so the runner cannot rot: its own result file
// must show that it saw the fault, counted failures and timed the ejection. Brownout only (the
// other contenders need nginx and HAProxy, which `npm run bench:faults` uses when installed).

interface Cell {
  scenario: string;
  contender: string;
  faultFailures: number | null;
  failures: number | null;
  requests: number | null;
  degraded: number | null;
  stoppedAfterMs: number | null;
  badHostRequests: number | null;
  backAfterMs: number | null;
}

describe('fault scorecard (smoke)', () => {
  it('runs a scenario end to end and writes what it measured', () => {
    const out = mkdtempSync(join(tmpdir(), 'brownout-faults-smoke-'));
    const runner = fileURLToPath(new URL('../bench/faults/run-faults.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', runner], {
      env: {
        ...process.env,
        FAULTS_SCENARIOS: 'host-503,outage',
        FAULTS_CONTENDERS: 'brownout,brownout+degradation',
        FAULTS_REPS: '1',
        FAULTS_RATE: '100',
        FAULTS_STEADY_MS: '600',
        FAULTS_FAULT_MS: '2000',
        FAULTS_RECOVERY_MS: '1200',
        FAULTS_FLEET: '0',
        FAULTS_OUT: out,
      },
      encoding: 'utf8',
      timeout: 90_000,
    });
    assert.equal(r.status, 0, `runner failed:\n${r.stdout}\n${r.stderr}`);
    const result = JSON.parse(readFileSync(join(out, 'faults.json'), 'utf8')) as { cells: Cell[]; runs: unknown[] };
    const cell = (scenario: string, contender: string): Cell => result.cells.find(c => c.scenario === scenario && c.contender === contender)!;
    const ejected = cell('host-503', 'brownout');
    assert.equal(ejected.requests, 380, '100 req/s for 3.8 s, open loop: every request was sent');
    assert.ok(ejected.badHostRequests! >= 1, 'the bad host got requests once the fault began');
    assert.ok(ejected.stoppedAfterMs !== null && ejected.stoppedAfterMs < 1_000, `bad host out of rotation after ${ejected.stoppedAfterMs} ms`);
    assert.equal(ejected.faultFailures, 0, 'retries and ejection hide one bad host');
    assert.ok(ejected.backAfterMs !== null, 'back in rotation after recovery');
    const outage = cell('outage', 'brownout');
    assert.ok(outage.faultFailures! >= 150, `a total outage without degradation fails (${outage.faultFailures} of ~200)`);
    const degraded = cell('outage', 'brownout+degradation');
    assert.equal(degraded.failures, 0, 'with a default response, not one failed answer');
    assert.ok(degraded.degraded! >= 150, `${degraded.degraded} answers came from the fallback`);
    assert.ok(existsSync(join(out, 'charts', 'outage.svg')));
    assert.match(readFileSync(join(out, 'faults.md'), 'utf8'), /\| outage \| brownout\+degradation \| 0 \|/);
  });
});
