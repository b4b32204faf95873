/**
 * The scorecard's scenarios: a timeline steady → fault → recovery, the same for every contender.
 * Host 0 is the one that goes bad (all three in the outage). Each step says when (ms after the
 * fault starts) a host changes mode; recovery puts every host back to healthy.
 */
import type { UpstreamMode } from '../../src/demo/demo-upstreams.ts';
import type { ContenderName } from './contenders.ts';

export interface FaultStep {
  readonly afterMs: number;
  readonly host: number;
  readonly mode: UpstreamMode;
  readonly slowMs?: number;
  readonly flakyRatio?: number;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly steps: readonly FaultStep[];
  /** Who runs it (the degradation variant of Brownout only matters in the outage). */
  readonly contenders: readonly ContenderName[];
}

const EVERYONE: readonly ContenderName[] = ['brownout', 'nginx', 'haproxy', 'bare'];

export const SCENARIOS: readonly Scenario[] = [
  { name: 'host-503', title: 'one host answers 503 to everything', steps: [{ afterMs: 0, host: 0, mode: '503' }], contenders: EVERYONE },
  // brownout-defaults: the same, with only the common outlier_detection fields set (issue 23's goal).
  { name: 'host-flaky', title: 'one host answers 503 to 30% (its health check passes)', steps: [{ afterMs: 0, host: 0, mode: 'flaky', flakyRatio: 0.3 }], contenders: [...EVERYONE, 'brownout-defaults'] },
  { name: 'host-hang', title: 'one host hangs', steps: [{ afterMs: 0, host: 0, mode: 'hang' }], contenders: EVERYONE },
  { name: 'host-refuse', title: 'one host refuses connections, then comes back', steps: [{ afterMs: 0, host: 0, mode: 'refuse' }], contenders: EVERYONE },
  { name: 'host-slow', title: 'one host answers after 2 s', steps: [{ afterMs: 0, host: 0, mode: 'slow', slowMs: 2_000 }], contenders: EVERYONE },
  { name: 'host-reset', title: 'one host resets connections', steps: [{ afterMs: 0, host: 0, mode: 'reset' }], contenders: EVERYONE },
  {
    name: 'outage',
    title: 'total outage: every host answers 503',
    steps: [0, 1, 2].map(host => ({ afterMs: 0, host, mode: '503' as const })),
    contenders: ['brownout', 'brownout+degradation', 'nginx', 'haproxy', 'bare'],
  },
  {
    name: 'drain',
    title: 'graceful drain: health check fails first, the process stops 2 s later',
    steps: [
      { afterMs: 0, host: 0, mode: 'draining' },
      { afterMs: 2_000, host: 0, mode: 'refuse' },
    ],
    contenders: EVERYONE,
  },
];
