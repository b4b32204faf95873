import { parseSwitchDocument, type SwitchDocument } from '@brownout/core/config';
import { LinkDown, type ChangeLogEntry, type FleetRead, type GatewayLink, type SwitchWrite } from './gateway-link.ts';
import { parseInstances } from './instance-status.ts';

const TIMEOUT_MS = 2_000;

/**
 * Single-gateway mode: one gateway's admin API (`/clusters`, `/routes`, `/switches`) with its
 * bearer token, for a newcomer without Redis. Its answers are put in the fleet-status shape.
 */
export class AdminApiLink implements GatewayLink {
  readonly mode = 'single' as const;
  readonly target: string;
  private readonly token: string | undefined;

  constructor(url: string, token: string | undefined) {
    this.target = url.replace(/\/+$/, '');
    this.token = token;
  }

  private async call(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(this.target + path, {
        ...init,
        headers: { ...(this.token && { authorization: `Bearer ${this.token}` }), ...(init.body !== undefined && { 'content-type': 'application/json' }) },
        signal: AbortSignal.timeout(TIMEOUT_MS),
        cache: 'no-store',
      });
    } catch (e) {
      throw new LinkDown(`gateway admin API at ${this.target} is unreachable (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  private async json(path: string): Promise<Record<string, unknown>> {
    const r = await this.call(path);
    if (!r.ok) throw new LinkDown(`gateway admin API ${path} answered ${r.status}${r.status === 401 ? ' (check BROWNOUT_GATEWAY_TOKEN)' : ''}`);
    return (await r.json()) as Record<string, unknown>;
  }

  async read(): Promise<FleetRead> {
    const [clusters, routes, switches] = await Promise.all([this.json('/clusters'), this.json('/routes'), this.json('/switches')]);
    const routeList = Array.isArray(routes.routes) ? (routes.routes as { name: string; cluster: string; priority: string; requests?: Record<string, number> }[]) : [];
    let document: SwitchDocument | null = null;
    try {
      document = switches.document ? parseSwitchDocument(switches.document) : null;
    } catch {
      document = null;
    }
    const status = {
      instance: typeof switches.instance === 'string' ? switches.instance : 'gateway',
      heartbeat_at: new Date().toISOString(),
      heartbeat_ms: 2_000,
      switches_version: switches.version,
      switches_stale_ms: switches.stale_ms ?? null,
      automatic: switches.automatic,
      clusters: clusters.clusters,
      routes: Object.fromEntries(routeList.map(r => [r.name, r.requests ?? {}])),
      route_meta: routeList.map(r => ({ name: r.name, cluster: r.cluster, priority: r.priority })),
    };
    return { document, instances: parseInstances([status]) };
  }

  async write(doc: SwitchDocument, _actor: string, _knownRoutes: readonly string[]): Promise<SwitchWrite> {
    let r: Response;
    try {
      r = await this.call('/switches', { method: 'PUT', body: JSON.stringify(doc) });
    } catch (e) {
      return { ok: false, reason: 'unavailable', message: e instanceof Error ? e.message : String(e) };
    }
    // The admin API's one error shape: { error: { code, message, issues? } } (+ current_version on 409).
    const body = (await r.json().catch(() => ({}))) as { version?: number; current_version?: number; error?: { code?: string; message?: string; issues?: { path: string; message: string }[] } };
    if (r.ok) return { ok: true, version: body.version ?? doc.version };
    if (r.status === 409) return { ok: false, reason: 'stale', current: body.current_version ?? -1 };
    if (r.status === 400) return { ok: false, reason: 'invalid', issues: body.error?.issues ?? [{ path: '', message: body.error?.message ?? 'refused' }] };
    return { ok: false, reason: 'unavailable', message: body.error?.message ?? `gateway answered ${r.status}; nothing was written` };
  }

  changes(): Promise<ChangeLogEntry[]> {
    return Promise.resolve([]); // no shared log: the monitor compares reads instead
  }

  close(): Promise<void> {
    return Promise.resolve(); // nothing held open
  }
}
