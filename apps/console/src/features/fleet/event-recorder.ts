import type { Db } from '@/server/db/client.ts';
import { appendAuditOnce } from '@/features/audit/audit-log.ts';
import type { ChangeLogEntry, FleetRead, GatewayLink } from './gateway-link.ts';
import { CONSOLE_ACTOR_PREFIX } from './redis-link.ts';

/**
 * Copies what the gateways report into the audit log, each event once (by a source id), for the
 * audit view and the incident timeline: automatic degradations, host ejections and un-ejections,
 * gateway instances starting, stopping or vanishing, and switch writes made outside the console.
 * Fleet mode reads the shared change log (so events from while the console was down are not lost);
 * single-gateway mode compares consecutive reads.
 */
export class EventRecorder {
  private from = Date.now() - 60 * 60 * 1000;
  private lastAuto = new Map<string, Set<string>>();
  private lastEjected = new Map<string, Set<string>>();
  private present: Set<string> | undefined;

  async record(db: Db, link: GatewayLink, read: FleetRead, now = Date.now()): Promise<void> {
    if (link.mode === 'fleet') {
      for (const e of await link.changes(this.from)) {
        await this.importEntry(db, e);
        this.from = Math.max(this.from, e.at);
      }
    } else {
      await this.compareReads(db, read, now);
    }
    await this.instancesVanished(db, read, link.mode, now);
  }

  private async importEntry(db: Db, e: ChangeLogEntry): Promise<void> {
    const sourceId = `changelog:${e.id}`;
    const at = new Date(e.at);
    switch (e.type) {
      case 'auto':
        await appendAuditOnce(db, { sourceId, at, actor: `gateway ${e.instance}`, action: 'auto_degradation', route: e.route, reason: e.reason, outcome: e.active ? 'started' : 'ended' });
        return;
      case 'host':
        await appendAuditOnce(db, { sourceId, at, actor: `gateway ${e.instance}`, action: e.ejected ? 'host_ejected' : 'host_unejected', target: `${e.cluster}/${e.host}`, reason: e.reason || null });
        return;
      case 'instance':
        await appendAuditOnce(db, { sourceId, at, actor: `gateway ${e.instance}`, action: e.up ? 'instance_up' : 'instance_down', target: e.instance });
        return;
      case 'switch':
        if (e.actor.startsWith(CONSOLE_ACTOR_PREFIX)) return; // the console audited its own write already
        await appendAuditOnce(db, { sourceId, at, actor: e.actor || 'unknown', action: 'switch_changed', target: 'switch document (outside the console)', after: e.document, outcome: `version ${e.version} written` });
        return;
    }
  }

  /** Single-gateway mode: what changed since the last read is an event now. */
  private async compareReads(db: Db, read: FleetRead, now: number): Promise<void> {
    for (const s of read.instances) {
      const auto = new Set(s.automatic.map(a => `${a.route}\u0000${a.reason}`));
      const ejected = new Set(s.clusters.flatMap(c => c.hosts.filter(h => h.ejected).map(h => `${c.name}/${h.address}:${h.port}\u0000${h.ejected_for ?? ''}`)));
      const beforeAuto = this.lastAuto.get(s.instance);
      const beforeEjected = this.lastEjected.get(s.instance);
      this.lastAuto.set(s.instance, auto);
      this.lastEjected.set(s.instance, ejected);
      const actor = `gateway ${s.instance}`;
      const at = new Date(now);
      const id = (k: string) => `single:${s.instance}:${k}:${now}`;
      for (const [now_, before, on, off] of [[auto, beforeAuto, 'start', 'end'] as const, [ejected, beforeEjected, 'eject', 'uneject'] as const]) {
        if (!before) continue; // first read: a state, not an event
        for (const k of now_) {
          if (before.has(k)) continue;
          const [what, reason] = k.split('\u0000') as [string, string];
          await appendAuditOnce(db, on === 'start' ? { sourceId: id(`${on}:${k}`), at, actor, action: 'auto_degradation', route: what, reason, outcome: 'started' } : { sourceId: id(`${on}:${k}`), at, actor, action: 'host_ejected', target: what, reason });
        }
        for (const k of before) {
          if (now_.has(k)) continue;
          const [what, reason] = k.split('\u0000') as [string, string];
          await appendAuditOnce(db, off === 'end' ? { sourceId: id(`${off}:${k}`), at, actor, action: 'auto_degradation', route: what, reason, outcome: 'ended' } : { sourceId: id(`${off}:${k}`), at, actor, action: 'host_unejected', target: what });
        }
      }
    }
  }

  /**
   * An instance whose status entry vanished without saying it stopped (crashed, or lost its Redis)
   * is recorded as gone; single-gateway mode records the gateway appearing too.
   */
  private async instancesVanished(db: Db, read: FleetRead, mode: 'fleet' | 'single', now: number): Promise<void> {
    const present = new Set(read.instances.map(s => s.instance));
    const before = this.present;
    this.present = present;
    if (!before) return;
    for (const id of before) {
      if (present.has(id)) continue;
      const said = await db.auditEvent.findFirst({ where: { action: 'instance_down', target: id, at: { gte: new Date(now - 60_000) } }, select: { id: true } });
      if (!said) await appendAuditOnce(db, { sourceId: `gone:${id}:${now}`, at: new Date(now), actor: 'console', action: 'instance_gone', target: id, outcome: 'its status stopped appearing without a stop notice' });
    }
    if (mode === 'single') {
      for (const id of present) if (!before.has(id)) await appendAuditOnce(db, { sourceId: `up:${id}:${now}`, at: new Date(now), actor: 'console', action: 'instance_up', target: id });
    }
  }
}
