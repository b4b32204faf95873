/**
 * A one-minute tour of the engine with simulated time: a host starts failing, is ejected, its
 * ejection grows when it fails again, and the cluster panics when too many hosts are out.
 */
import { Engine, HealthFlag, isNoHealthyHost, type Host } from '../src/index.ts';
import { parseConfig } from '../src/config/index.ts';
import { ManualClock, SeededRandom } from '../src/testing/index.ts';

const clock = new ManualClock();
const engine = new Engine(
  parseConfig({
    clusters: [{ name: 'api', hosts: ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'], outlier_detection: { max_ejection_percent: 50, base_ejection_time: '30s' } }],
    routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }],
  }),
  { clock, random: new SeededRandom(1) },
);
engine.start();
const api = engine.clusters.get('api')!;
const t = (): string => `t=${(clock.now() / 1000).toFixed(0).padStart(3)}s`;
api.outlier!.onEvent(e => {
  console.log(`${t()}  ${e.action.toUpperCase()} ${e.host.id}${e.type ? ` (${e.type})` : ''}${e.enforced ? '' : ' [not enforced]'}`);
});

function traffic(requests: number, failing: ReadonlySet<string>): string {
  const seen = new Map<string, number>();
  for (let i = 0; i < requests; i++) {
    const h = api.pick();
    if (isNoHealthyHost(h)) continue;
    const host: Host = h;
    seen.set(host.id, (seen.get(host.id) ?? 0) + 1);
    api.recordResponse(host, failing.has(host.id) ? 503 : 200);
  }
  return [...seen].map(([id, n]) => `${id}×${n}`).join(' ');
}

console.log('Brownout engine demo (simulated time; the gateway issue makes `npm start` serve real traffic)\n');
console.log(`${t()}  traffic: ${traffic(40, new Set())}`);
console.log(`${t()}  10.0.0.2 starts answering 503`);
console.log(`${t()}  traffic: ${traffic(40, new Set(['10.0.0.2:80']))}`);
clock.advance(20_000);
console.log(`${t()}  traffic while ejected: ${traffic(30, new Set(['10.0.0.2:80']))}`);
clock.advance(15_000);
console.log(`${t()}  still failing after un-ejection → ejected again for 2 × 30s (back-off has not decayed yet)`);
traffic(40, new Set(['10.0.0.2:80']));
console.log(`${t()}  ${JSON.stringify(api.hostStatuses()[1]!, ['address', 'ejected', 'ejection_count', 'ejection_time_left_ms'])}`);
console.log(`${t()}  two more hosts fail their active checks → 25% healthy < 50% panic threshold`);
api.hostSet.hosts[2]!.set(HealthFlag.FailedActiveHc);
api.hostSet.hosts[3]!.set(HealthFlag.FailedActiveHc);
console.log(`${t()}  panic traffic goes to every host: ${traffic(40, new Set())}`);
console.log(`\nlb_healthy_panic=${api.lb.stats.lb_healthy_panic}  ejections_enforced_total=${api.outlier!.stats.ejections_enforced_total}`);
engine.stop();
