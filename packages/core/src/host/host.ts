import { assertRange } from '../errors.ts';
import { coarseHealth, type CoarseHealth, type HealthFlag } from './health-flag.ts';

export interface HostOptions {
  /** `address:port`; unique within a cluster. */
  readonly address: string;
  readonly port: number;
  readonly weight?: number;
}

/**
 * One upstream endpoint. Holds its health flags and the live counters the load balancer and the
 * admin API read. Flag changes are reported to the owning host set so its views stay current.
 */
export class Host {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  private flagBits = 0;
  /** Position in the owning host set; per-host engine state is kept in arrays indexed by it. */
  index = -1;
  /** Requests currently in flight to this host (least-request LB and `/clusters`). */
  activeRequests = 0;
  /** Lifetime counters shown by the admin API. */
  readonly stats = { rq_total: 0, rq_success: 0, rq_error: 0, rq_timeout: 0, cx_connect_fail: 0 };
  /** Set by the host set that owns this host. */
  onFlagsChanged: ((host: Host) => void) | undefined;

  constructor(options: HostOptions) {
    assertRange('weight', options.weight ?? 1, 1, 128);
    assertRange('port', options.port, 1, 65535);
    this.address = options.address;
    this.port = options.port;
    this.weight = options.weight ?? 1;
    this.id = `${options.address}:${options.port}`;
  }

  get flags(): number {
    return this.flagBits;
  }

  has(flag: HealthFlag): boolean {
    return (this.flagBits & flag) !== 0;
  }

  set(flag: HealthFlag): void {
    this.update(this.flagBits | flag);
  }

  clear(flag: HealthFlag): void {
    this.update(this.flagBits & ~flag);
  }

  /** Sets the flags in `mask` to `bits` in one change (one notification). */
  assign(mask: number, bits: number): void {
    this.update((this.flagBits & ~mask) | (bits & mask));
  }

  health(): CoarseHealth {
    return coarseHealth(this.flagBits);
  }

  private update(next: number): void {
    if (next === this.flagBits) return;
    this.flagBits = next;
    this.onFlagsChanged?.(this);
  }
}
