import { env } from '@/server/env.ts';
import { ready } from '@/server/ready.ts';
import { fleetMonitor } from '@/features/fleet/monitor.ts';
import { pruneHistory, recordSample } from './history.ts';

const holder = globalThis as unknown as { brownoutSampler?: NodeJS.Timeout };

/**
 * Samples the fleet every BROWNOUT_CONSOLE_SAMPLE_MS into the history (and, through the monitor,
 * copies the gateways' events into the audit log even when nobody has a page open). Started once
 * per console process (instrumentation.ts). A sample that fails is skipped, never retried late.
 */
export function startSampler(): void {
  if (holder.brownoutSampler) return;
  const e = env();
  let n = 0;
  const tick = async (): Promise<void> => {
    const db = await ready();
    const view = await fleetMonitor().view();
    // Aligned to the sampling period, so consoles sharing a database write each slot once.
    await recordSample(db, view, new Date(Math.floor(view.readAt / e.BROWNOUT_CONSOLE_SAMPLE_MS) * e.BROWNOUT_CONSOLE_SAMPLE_MS));
    if (n++ % 60 === 0) await pruneHistory(db, e.BROWNOUT_CONSOLE_HISTORY_HOURS * 3_600_000);
  };
  holder.brownoutSampler = setInterval(() => {
    tick().catch(() => undefined);
  }, e.BROWNOUT_CONSOLE_SAMPLE_MS);
  holder.brownoutSampler.unref();
}
