import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { pino, destination, stdTimeFunctions } from 'pino';
import type { GatewayConfig } from '@brownout/core/config';
import { Gateway } from '../gateway.ts';
import type { GatewayOptions } from '../gateway-options.ts';
import { WorkerPrimary } from './primary.ts';
import { WorkerLink, workerRole } from './worker-link.ts';
import { shareOfConfig } from './limit-share.ts';
import { handleSignals } from '../lifecycle/signals.ts';

/** `workers: auto` is one per core the process may use. */
export function workerCount(w: number | 'auto'): number {
  return w === 'auto' ? availableParallelism() : w;
}

/**
 * The primary process: no traffic; forks the workers and coordinates them (see WorkerPrimary).
 * SIGHUP reloads everywhere (after checking the file once); SIGTERM/SIGINT drain every worker.
 */
export async function runPrimary(config: GatewayConfig, configPath: string, workers: number, adminToken: string, drainMs: number): Promise<void> {
  const log = pino({ base: { role: 'primary' }, timestamp: stdTimeFunctions.isoTime }, destination(2));
  // Every worker must accept the same token, including one generated for this run.
  process.env.BROWNOUT_ADMIN_TOKEN = adminToken;
  const primary = new WorkerPrimary({ config, configPath, workers, log, drainMs, adminToken });
  const where = await primary.start();
  log.info({ ...where, workers, config: configPath }, 'brownout gateway listening (multi-worker)');
  handleSignals(log, () => primary.reload(), () => primary.stop(), 'draining every worker and shutting down');
}

/**
 * A worker process: a gateway on the shared public listener, without health checks or an admin
 * listener of its own. Signals are the primary's to act on (a terminal's Ctrl-C reaches every
 * process in the group; the primary then drains the workers); a worker whose primary is gone
 * drains and exits.
 */
export async function runWorker(opts: Omit<GatewayOptions, 'worker'>, workers: number): Promise<void> {
  const log = pino({ base: { worker: cluster.worker?.id ?? 0 }, timestamp: stdTimeFunctions.isoTime }, destination(2));
  const gw = new Gateway({ ...opts, config: shareOfConfig(opts.config, workers), log, worker: workerRole(workers) });
  const link = new WorkerLink(gw);
  await link.snapshot();
  await gw.listen();
  link.listening();
  for (const s of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.on(s, () => undefined);
  process.on('disconnect', () => {
    link.stop();
    void gw.close(Number(process.env.BROWNOUT_DRAIN_MS ?? 10_000)).finally(() => process.exit(0));
  });
}
