import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import { AggregatorRegistry } from 'prom-client';
import type { AdminAnswer, AdminCall } from './messages.ts';

/** What the admin front needs from the primary: the workers to ask, and the primary's own metrics. */
export interface WorkerFleet {
  /** Live workers, in a stable order (the first answers plain reads). */
  workerIds(): number[];
  ask(worker: number, call: AdminCall): Promise<AdminAnswer>;
  metricsOf(worker: number): Promise<object[]>;
  primaryMetrics(): Promise<object[]>;
  /** Which worker's traffic got each ejected host out ("cluster|host" → worker id). */
  ejectionOrigins(): ReadonlyMap<string, number>;
}

const MAX_BODY = 1_048_576;

/**
 * The admin API of a multi-worker gateway, served once, by the primary: every call goes to the
 * workers' own admin apps (fastify inject over IPC, so authentication and validation are theirs).
 * Reads are answered by the first worker, except `/clusters` (each worker's view of each host,
 * merged) and `/stats/prometheus` and `/stats` (every worker's metrics and the primary's, summed by
 * prom-client's cluster aggregator); writes go to every worker and succeed only if every worker says so.
 */
export function createAdminFront(fleet: WorkerFleet, tls?: TlsOptions): Server {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(fleet, req, res).catch((err: unknown) => {
      send(res, { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'internal', message: String(err) } }) });
    });
  };
  // `admin.tls`: the primary serves the admin API, so the primary holds its certificate.
  return tls ? createTlsServer(tls, onRequest) : createServer(onRequest);
}

async function handle(fleet: WorkerFleet, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) {
      send(res, json(413, { error: { code: 'invalid_request', message: 'body over 1 MiB' } }));
      return;
    }
    chunks.push(c);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const call: AdminCall = { method: req.method ?? 'GET', url: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') };
  const ids = fleet.workerIds();
  if (ids.length === 0) {
    send(res, json(503, { error: { code: 'internal', message: 'no worker is running' } }));
    return;
  }
  const path = call.url.split('?')[0];
  if (call.method === 'GET' || call.method === 'HEAD') {
    const first = await fleet.ask(ids[0]!, call);
    if (first.status !== 200 || (path !== '/clusters' && path !== '/stats/prometheus' && path !== '/stats')) {
      send(res, first);
      return;
    }
    if (path === '/stats/prometheus' || path === '/stats') {
      const all = await Promise.all([...ids.map(id => fleet.metricsOf(id)), fleet.primaryMetrics()]);
      const merged = AggregatorRegistry.aggregate(all);
      if (path === '/stats') send(res, json(200, { metrics: await merged.getMetricsAsJSON() }));
      else send(res, { status: 200, headers: { 'content-type': first.headers['content-type'] ?? 'text/plain; version=0.0.4; charset=utf-8' }, body: await merged.metrics() });
      return;
    }
    const views = await Promise.all(ids.map(async id => ({ id, answer: id === ids[0] ? first : await fleet.ask(id, call) })));
    send(res, json(200, mergeClusters(views.map(v => ({ worker: v.id, body: JSON.parse(v.answer.body) as ClustersView })), fleet.ejectionOrigins())));
    return;
  }
  // A write: every worker, and one answer only if they agree.
  const answers = await Promise.all(ids.map(async id => ({ worker: id, answer: await fleet.ask(id, call) })));
  const first = answers[0]!.answer;
  if (answers.every(a => a.answer.status === first.status)) {
    send(res, first);
    return;
  }
  send(
    res,
    json(502, {
      error: {
        code: 'internal',
        message: 'the workers answered differently; each answer is listed',
        workers: answers.map(a => ({ worker: a.worker, status: a.answer.status, body: a.answer.body })),
      },
    }),
  );
}

interface HostView {
  address: string;
  port: number;
  ejected?: boolean;
  ejected_for?: string | null;
  health_flags?: string;
  [k: string]: unknown;
}
interface ClustersView {
  clusters: { name: string; hosts: HostView[]; [k: string]: unknown }[];
  [k: string]: unknown;
}

/**
 * The first worker's /clusters, each host carrying every worker's view of it (`workers`) and, when
 * ejected, the worker whose traffic got it out (`ejected_by_worker`); `ejected` is true when any
 * worker holds it out.
 */
export function mergeClusters(views: readonly { worker: number; body: ClustersView }[], origins: ReadonlyMap<string, number>): ClustersView {
  const base = views[0]!.body;
  return {
    ...base,
    workers: views.map(v => v.worker),
    clusters: base.clusters.map(c => ({
      ...c,
      hosts: c.hosts.map(h => {
        const id = `${h.address}:${h.port}`;
        const per = views.map(v => {
          const other = v.body.clusters.find(x => x.name === c.name)?.hosts.find(x => x.address === h.address && x.port === h.port);
          return { worker: v.worker, ejected: other?.ejected ?? false, ejected_for: other?.ejected_for ?? null, health_flags: other?.health_flags ?? '' };
        });
        return { ...h, ejected: per.some(p => p.ejected), ejected_by_worker: origins.get(`${c.name}|${id}`) ?? null, workers: per };
      }),
    })),
  };
}

function json(status: number, body: unknown): AdminAnswer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
}

function send(res: ServerResponse, a: AdminAnswer): void {
  const headers = { ...a.headers };
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  delete headers.connection;
  delete headers['keep-alive'];
  res.writeHead(a.status, headers).end(a.body);
}
