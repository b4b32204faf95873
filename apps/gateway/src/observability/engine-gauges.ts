import { Counter, Gauge, type Registry } from 'prom-client';
import { EJECTION_TYPES, type Engine } from '@brownout/core';

/**
 * Everything the engine already counts — host health, ejections, breakers, limits, retries,
 * health checks, faults — read from the engine at scrape time, never bumped per request.
 */
export function registerEngineGauges(registers: Registry[], engine: () => Engine): void {
  new Gauge({
    name: 'brownout_upstream_requests_active',
    help: 'Requests in flight to each host',
    labelNames: ['cluster', 'host'],
    registers,
    collect() {
      this.reset();
      for (const c of engine().clusters.values()) for (const h of c.hostSet.hosts) this.labels(c.name, h.id).set(h.activeRequests);
    },
  });
  new Gauge({
    name: 'brownout_upstream_requests_pending',
    help: 'Requests waiting for a connection under the cluster limits (Envoy upstream_rq_pending_active)',
    labelNames: ['cluster'],
    registers,
    collect() {
      this.reset();
      for (const c of engine().clusters.values()) this.labels(c.name).set(c.limits.default.pending + c.limits.high.pending);
    },
  });
  new Counter({
    name: 'brownout_lb_healthy_panic_total',
    help: 'Host picks made in panic mode: too few healthy hosts, so all hosts were used (Envoy lb_healthy_panic)',
    labelNames: ['cluster'],
    registers,
    collect() {
      this.reset();
      for (const c of engine().clusters.values()) this.labels(c.name).inc(c.lb.stats.lb_healthy_panic);
    },
  });
  new Counter({
    name: 'brownout_upstream_cx_none_healthy_total',
    help: 'Requests that found no host to send to (Envoy upstream_cx_none_healthy)',
    labelNames: ['cluster'],
    registers,
    collect() {
      this.reset();
      for (const c of engine().clusters.values()) this.labels(c.name).inc(c.lb.stats.upstream_cx_none_healthy);
    },
  });
  new Gauge({
    name: 'brownout_outlier_ejections_active',
    aggregator: 'max',
    help: 'Hosts currently ejected by outlier detection',
    labelNames: ['cluster'],
    registers,
    collect() {
      this.reset();
      for (const c of engine().clusters.values()) if (c.outlier) this.labels(c.name).set(c.outlier.stats.ejections_active);
    },
  });
  new Counter({
    name: 'brownout_outlier_ejections_total',
    help: 'Outlier detections by type; enforced="false" counts detect-only (shadow) ones and overflow',
    labelNames: ['cluster', 'type', 'enforced'],
    registers,
    collect() {
      this.reset();
      for (const c of engine().clusters.values()) {
        const s = c.outlier?.stats;
        if (!s) continue;
        for (const t of EJECTION_TYPES) {
          this.labels(c.name, t, 'true').inc(s.ejections_enforced[t]);
          this.labels(c.name, t, 'false').inc(s.ejections_detected[t] - s.ejections_enforced[t]);
        }
        this.labels(c.name, 'overflow', 'false').inc(s.ejections_overflow);
      }
    },
  });
  new Counter({
    name: 'brownout_overflow_total',
    help: 'Cluster limit overflows (Envoy circuit breakers) by kind',
    labelNames: ['cluster', 'kind'],
    registers,
    collect() {
      this.reset();
      for (const c of engine().clusters.values()) {
        for (const l of [c.limits.default, c.limits.high]) {
          for (const [k, v] of Object.entries(l.stats) as [string, number][]) this.labels(c.name, k).inc(v);
        }
      }
    },
  });
  new Counter({
    name: 'brownout_health_checks_total',
    help: 'Active health check results by host',
    labelNames: ['cluster', 'host', 'result'],
    registers,
    collect() {
      this.reset();
      for (const c of engine().clusters.values()) {
        const hc = c.healthChecker;
        if (!hc) continue;
        for (const h of c.hostSet.hosts) {
          const s = hc.hostStats(h);
          if (!s) continue;
          this.labels(c.name, h.id, 'attempt').inc(s.attempt);
          this.labels(c.name, h.id, 'success').inc(s.success);
          this.labels(c.name, h.id, 'failure').inc(s.failure);
          this.labels(c.name, h.id, 'network_failure').inc(s.network_failure);
        }
      }
    },
  });
  new Counter({
    name: 'brownout_retry_outcomes_total',
    help: 'Retry bookkeeping (Envoy upstream_rq_retry_* counters)',
    labelNames: ['cluster', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const c of engine().clusters.values()) {
        for (const [k, v] of Object.entries(c.retryStats) as [string, number][]) this.labels(c.name, k).inc(v);
      }
    },
  });
  new Gauge({
    name: 'brownout_hosts',
    aggregator: 'first',
    help: 'Hosts by coarse health',
    labelNames: ['cluster', 'health'],
    registers,
    collect() {
      this.reset();
      for (const c of engine().clusters.values()) {
        let healthy = 0;
        let degraded = 0;
        let unhealthy = 0;
        for (const h of c.hostSet.hosts) {
          const s = h.health();
          if (s === 'healthy') healthy++;
          else if (s === 'degraded') degraded++;
          else unhealthy++;
        }
        this.labels(c.name, 'healthy').set(healthy);
        this.labels(c.name, 'degraded').set(degraded);
        this.labels(c.name, 'unhealthy').set(unhealthy);
      }
    },
  });
  new Gauge({
    name: 'brownout_breaker_state',
    help: 'State-machine breaker per route: 0 closed, 1 half-open, 2 open (3 forced open, 4 forced closed)',
    labelNames: ['route'],
    registers,
    collect() {
      this.reset();
      const code = { closed: 0, half_open: 1, open: 2, forced_open: 3, forced_closed: 4 } as const;
      for (const r of engine().routes) if (r.breaker) this.labels(r.name).set(code[r.breaker.current]);
    },
  });
  new Gauge({
    name: 'brownout_breaker_decayed_error_rate',
    help: 'RED breakers: the time-decayed error rate compared with rr_high_threshold / rr_low_threshold',
    labelNames: ['route'],
    registers,
    collect() {
      this.reset();
      for (const r of engine().routes) if (r.breaker?.config.type === 'RED') this.labels(r.name).set(r.breaker.decayedRate());
    },
  });
  new Counter({
    name: 'brownout_breaker_rejected_total',
    help: 'Calls rejected by the route breaker (shadow: would have been rejected)',
    labelNames: ['route', 'shadow'],
    registers,
    collect() {
      this.reset();
      for (const r of engine().routes) {
        if (!r.breaker) continue;
        this.labels(r.name, 'false').inc(r.breaker.stats.rejected);
        this.labels(r.name, 'true').inc(r.breaker.stats.shadow_rejected);
      }
    },
  });
  new Counter({
    name: 'brownout_faults_injected_total',
    help: 'Faults injected per route',
    labelNames: ['route', 'kind'],
    registers,
    collect() {
      this.reset();
      for (const r of engine().routes) {
        if (!r.fault) continue;
        this.labels(r.name, 'delay').inc(r.fault.stats.delays_injected);
        this.labels(r.name, 'abort').inc(r.fault.stats.aborts_injected);
        this.labels(r.name, 'overflow').inc(r.fault.stats.faults_overflow);
      }
    },
  });
}
