import type { Db } from '@/server/db/client.ts';
import type { FleetRead, GatewayLink } from './gateway-link.ts';
import { hostViews, instanceViews, routeViews, type FleetView } from './fleet-view.ts';
import { RateTracker } from './rate-tracker.ts';
import { EventRecorder } from './event-recorder.ts';

/** Polls closer together than this share one read of Redis / the admin API. */
const SHARE_MS = 400;
/** An instance that vanished is shown as gone this long. */
const GONE_KEEP_MS = 10 * 60 * 1000;

/**
 * The console's view of the fleet: reads through the link, remembers the last good read (shown
 * with its age when the link is down), derives rates between reads, remembers instances that went
 * away, and has the gateways' events copied into the audit log (EventRecorder).
 */
export class FleetMonitor {
  private readonly link: GatewayLink | null;
  private readonly db: () => Promise<Db>;
  private readonly rates = new RateTracker();
  private readonly lastSeen = new Map<string, number>();
  private last: { view: FleetView; raw: FleetRead | null } | undefined;
  private inflight: Promise<FleetView> | undefined;
  private readonly events = new EventRecorder();

  constructor(link: GatewayLink | null, db: () => Promise<Db>) {
    this.link = link;
    this.db = db;
  }

  get linkMode(): 'fleet' | 'single' | 'none' {
    return this.link?.mode ?? 'none';
  }

  async view(now = Date.now()): Promise<FleetView> {
    if (this.last && now - this.last.view.readAt < SHARE_MS) return this.last.view;
    this.inflight ??= this.refresh(now).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(now: number): Promise<FleetView> {
    const link = this.link;
    if (!link) {
      return this.remember(now, null, 'no gateway configured: set REDIS_URL (fleet mode) or BROWNOUT_GATEWAY_URL (single-gateway mode)');
    }
    let read: FleetRead;
    try {
      read = await link.read();
    } catch (e) {
      return this.remember(now, null, e instanceof Error ? e.message : String(e));
    }
    this.rates.observe(read.instances, now);
    await this.db()
      .then(db => this.events.record(db, link, read, now))
      .catch(() => undefined); // the audit copy retries on the next read; the view must not fail for it
    return this.remember(now, read, null);
  }

  private remember(now: number, read: FleetRead | null, error: string | null): FleetView {
    const prev = this.last;
    const base = read ?? prev?.raw ?? { instances: [], document: null };
    if (read) for (const s of read.instances) this.lastSeen.set(s.instance, now);
    const present = new Set(base.instances.map(s => s.instance));
    const gone: string[] = [];
    for (const [id, at] of this.lastSeen) {
      if (now - at > GONE_KEEP_MS) this.lastSeen.delete(id);
      else if (read && !present.has(id)) gone.push(id);
    }
    const doc = base.document;
    const view: FleetView = {
      mode: this.linkMode,
      target: this.link?.target ?? null,
      readAt: now,
      reachable: read !== null,
      error,
      lastGoodAt: read ? now : (prev?.view.lastGoodAt ?? null),
      document: doc ? { version: doc.version, globalLevel: doc.global_level, globalShadow: doc.global_shadow, updatedAt: doc.updated_at ?? null, updatedBy: doc.updated_by ?? null } : null,
      switchRoutes: doc?.routes ?? {},
      publishedFallbacks: Object.fromEntries(Object.entries(doc?.fallbacks ?? {}).map(([r, f]) => [r, f.revision ?? null])),
      instances: instanceViews(base.instances, gone.sort(), now),
      hosts: hostViews(base.instances),
      routes: routeViews(base.instances, doc, this.rates),
    };
    this.last = { view, raw: read ?? prev?.raw ?? null };
    return view;
  }
}
