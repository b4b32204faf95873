import { Listeners } from '../events.ts';
import { CoarseHealth, isExcluded } from './health-flag.ts';
import type { Host } from './host.ts';

/**
 * The hosts of one cluster and their healthy / degraded / excluded views. Views are rebuilt lazily
 * on the first read after a flag change, so a burst of flag changes costs one rebuild and a pick on
 * a stable set costs nothing.
 */
export class HostSet {
  readonly hosts: readonly Host[];
  private healthyView: Host[] = [];
  private degradedView: Host[] = [];
  private excludedCount = 0;
  private dirty = true;
  private version = 0;
  private readonly listeners = new Listeners<Host>();

  constructor(hosts: readonly Host[]) {
    const seen = new Set<string>();
    for (const [i, h] of hosts.entries()) {
      h.index = i;
      if (seen.has(h.id)) throw new RangeError(`duplicate host ${h.id}`);
      seen.add(h.id);
      h.onFlagsChanged = this.onHostChanged;
    }
    this.hosts = hosts;
  }

  /** Incremented on every membership or health change; load balancers use it to reset caches. */
  get generation(): number {
    return this.version;
  }

  get healthy(): readonly Host[] {
    if (this.dirty) this.rebuild();
    return this.healthyView;
  }

  get degraded(): readonly Host[] {
    if (this.dirty) this.rebuild();
    return this.degradedView;
  }

  /** Hosts left out of the panic denominator (pending first check, immediate-fail). */
  get excluded(): number {
    if (this.dirty) this.rebuild();
    return this.excludedCount;
  }

  byId(id: string): Host | undefined {
    return this.hosts.find(h => h.id === id);
  }

  /** Subscribes to host flag changes (the degradation policy uses it to notice no-healthy-host). */
  onHealthChange(fn: (host: Host) => void): () => void {
    return this.listeners.add(fn);
  }

  private readonly onHostChanged = (host: Host): void => {
    this.dirty = true;
    this.version++;
    this.listeners.emit(host);
  };

  private rebuild(): void {
    const healthy: Host[] = [];
    const degraded: Host[] = [];
    let excluded = 0;
    for (const h of this.hosts) {
      if (isExcluded(h.flags)) {
        excluded++;
        continue;
      }
      const health = h.health();
      if (health === CoarseHealth.Healthy) healthy.push(h);
      else if (health === CoarseHealth.Degraded) degraded.push(h);
    }
    this.healthyView = healthy;
    this.degradedView = degraded;
    this.excludedCount = excluded;
    this.dirty = false;
  }
}
