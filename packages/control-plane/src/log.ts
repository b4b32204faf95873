/**
 * The operational log the control plane writes to: pino's Logger fits, so does anything with
 * these four methods. Kept this narrow so the package needs no logging library of its own.
 */
export interface ControlPlaneLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
