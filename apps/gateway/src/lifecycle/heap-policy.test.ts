import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyFlags } from './heap-policy.ts';

test('the heap policy applies its flag when the operator did not set it', () => {
  assert.deepEqual(policyFlags([], undefined), ['--no-allocation-site-pretenuring']);
  assert.deepEqual(policyFlags(['--enable-source-maps', '--max-old-space-size=512'], '--max-semi-space-size=32'), ['--no-allocation-site-pretenuring']);
});

test("an operator's own flag wins, in either spelling, on node's command line or in NODE_OPTIONS", () => {
  // Turning pretenuring back on is the operator's call.
  assert.deepEqual(policyFlags(['--allocation-site-pretenuring'], undefined), []);
  assert.deepEqual(policyFlags([], '--max-old-space-size=256 --allocation_site_pretenuring'), []);
  assert.deepEqual(policyFlags([], '--no-allocation-site-pretenuring'), []);
  assert.deepEqual(policyFlags(['--no_allocation_site_pretenuring'], undefined), []);
});

test('a flag that merely starts with the policy flag name, or lacks its dashes, is not mistaken for it', () => {
  assert.deepEqual(policyFlags(['--allocation-site-pretenuring-extra=1'], 'allocation-site-pretenuring'), ['--no-allocation-site-pretenuring']);
});
