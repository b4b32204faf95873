import type { ControlPlaneLog } from '../log.ts';

/** A control-plane log that says nothing: tests judge by state, not by log lines. */
export const quietLog: ControlPlaneLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
