import type { GatewayConfig } from '../config/schema.ts';
import { ClusterRuntime, type EngineDeps } from './cluster-runtime.ts';
import { RouteRuntime } from './route-runtime.ts';

/**
 * Every cluster and route of a config, built and wired. `reload` swaps in a new config while
 * keeping the state that matters during an incident: host health, ejections, back-off, breaker
 * state and rate-limit buckets survive for clusters whose host list is unchanged.
 */
export class Engine {
  private clusterMap = new Map<string, ClusterRuntime>();
  private routeList: RouteRuntime[] = [];
  private cfg: GatewayConfig;
  private readonly deps: EngineDeps;
  private started = false;

  constructor(cfg: GatewayConfig, deps: EngineDeps) {
    this.cfg = cfg;
    this.deps = deps;
    this.build(cfg, new Map(), []);
  }

  get config(): GatewayConfig {
    return this.cfg;
  }

  get clusters(): ReadonlyMap<string, ClusterRuntime> {
    return this.clusterMap;
  }

  get routes(): readonly RouteRuntime[] {
    return this.routeList;
  }

  route(name: string): RouteRuntime | undefined {
    return this.routeList.find(r => r.name === name);
  }

  start(): void {
    this.started = true;
    for (const c of this.clusterMap.values()) c.start();
  }

  stop(): void {
    this.started = false;
    for (const c of this.clusterMap.values()) c.stop();
  }

  /** Replaces the config. The caller validated it; this cannot fail half-way. */
  reload(next: GatewayConfig): { kept: string[]; rebuilt: string[] } {
    const old = this.clusterMap;
    const oldRoutes = this.routeList;
    const report = this.build(next, old, oldRoutes);
    for (const [name, c] of old) {
      if (this.clusterMap.get(name) !== c) c.stop();
    }
    if (this.started) {
      for (const name of report.rebuilt) this.clusterMap.get(name)!.start();
    }
    this.cfg = next;
    return report;
  }

  private build(cfg: GatewayConfig, old: Map<string, ClusterRuntime>, oldRoutes: readonly RouteRuntime[]) {
    const clusters = new Map<string, ClusterRuntime>();
    const kept: string[] = [];
    const rebuilt: string[] = [];
    for (const c of cfg.clusters) {
      const prev = old.get(c.name);
      if (prev?.sameHosts(c)) {
        prev.update(c);
        clusters.set(c.name, prev);
        kept.push(c.name);
      } else {
        clusters.set(c.name, new ClusterRuntime(c, this.deps));
        rebuilt.push(c.name);
      }
    }
    const routes = cfg.routes.map(r => {
      const fb = r.degradation.fallback_cluster;
      const prev = oldRoutes.find(o => o.name === r.name);
      return new RouteRuntime(r, clusters.get(r.cluster)!, fb === undefined ? undefined : clusters.get(fb), this.deps, prev);
    });
    this.clusterMap = clusters;
    this.routeList = routes;
    return { kept, rebuilt };
  }
}
