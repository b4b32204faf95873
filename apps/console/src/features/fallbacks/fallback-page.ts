import { STATUS_CODES } from 'node:http';
import { ready } from '@/server/ready.ts';
import { fleetMonitor } from '@/features/fleet/monitor.ts';
import { getSchema, listVersions, type FallbackVersionRow } from './fallback-store.ts';
import { headerLines } from './fallback-input.ts';
import { diffVersions, type DiffPart } from './version-diff.ts';

/** Everything the fallback page of one route shows, read once per request. */
export interface FallbackPageData {
  versions: FallbackVersionRow[];
  /** The version the gateways serve (from the fleet's switch document), or null for the config's default. */
  published: number | null;
  schema: string;
  /** The global level, for the editor's preview. */
  level: number;
  /** The version whose changes are shown (?diff=N, else the latest), and the diff against the one before. */
  shown: FallbackVersionRow | undefined;
  diff: DiffPart[];
  /** The editor's starting values: the latest version, or an empty JSON answer. */
  initial: { status: string; contentType: string; headers: string; body: string; grpcStatus: string; grpcMessage: string; grpcResponse: string };
  statusTexts: Record<string, string>;
}

/** Undefined when no gateway knows the route (the page is a 404 then). */
export async function loadFallbackPage(route: string, diff: string | undefined): Promise<FallbackPageData | undefined> {
  const view = await fleetMonitor().view();
  if (!view.routes.some(r => r.name === route)) return undefined;
  const db = await ready();
  const [versions, schema] = await Promise.all([listVersions(db, route), getSchema(db, route)]);
  const latest = versions[0];
  const shown = versions.find(v => String(v.version) === diff) ?? latest;
  return {
    versions,
    published: view.publishedFallbacks[route] ?? null,
    schema: schema ?? '',
    level: view.document?.globalLevel ?? 0,
    shown,
    diff: shown ? diffVersions(versions.find(v => v.version === shown.version - 1), shown) : [],
    initial: latest
      ? {
          status: String(latest.status),
          contentType: latest.contentType,
          headers: headerLines(latest.headers),
          body: latest.body,
          grpcStatus: latest.grpc === null ? '' : String(latest.grpc.status),
          grpcMessage: latest.grpc?.message ?? '',
          grpcResponse: latest.grpc?.response_base64 ?? '',
        }
      : { status: '200', contentType: 'application/json', headers: '', body: '', grpcStatus: '', grpcMessage: '', grpcResponse: '' },
    statusTexts: Object.fromEntries(Object.entries(STATUS_CODES).map(([k, v]) => [k, v ?? ''])),
  };
}
