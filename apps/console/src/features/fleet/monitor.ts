import { ready } from '@/server/ready.ts';
import { FleetMonitor } from './fleet-monitor.ts';
import { gatewayLink } from './link.ts';

const holder = globalThis as unknown as { brownoutMonitor?: FleetMonitor };

/** The process-wide fleet monitor (shared by every page and poll). */
export function fleetMonitor(): FleetMonitor {
  holder.brownoutMonitor ??= new FleetMonitor(gatewayLink(), ready);
  return holder.brownoutMonitor;
}
