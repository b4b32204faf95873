import { createHash, timingSafeEqual } from 'node:crypto';
import type { TlsOptions } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyPluginCallback, type FastifyReply } from 'fastify';
import { switchPatchSchema } from '@brownout/core/config';
import type { AdminSurface, SwitchWriteOutcome } from './admin-surface.ts';
import { ADMIN_ENDPOINTS } from './admin-endpoints.ts';
import { adminError, sendAdminError } from './admin-errors.ts';
import { adminOpenApi } from './admin-openapi.ts';

/** The auth scheme is case-insensitive (RFC 9110 §11.1): `Bearer`, `bearer`, `BEARER`. */
const BEARER = /^bearer +/i;

/**
 * Compares digests, not the tokens: both are 32 bytes whatever was sent, so neither the comparison
 * nor a length check tells an attacker how long the token is.
 */
function tokenMatches(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined || header === undefined) return false;
  const m = BEARER.exec(header);
  if (!m) return false;
  const given = createHash('sha256').update(header.slice(m[0].length)).digest();
  const want = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, want);
}

/**
 * JSON bodies: a syntax error says where it is, and a `__proto__` key is refused by name — Fastify's
 * own parser reports both as "not valid JSON", which tells an operator nothing.
 */
function parseJsonBody(_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void): void {
  // An object, not a `let`: TypeScript cannot see the reviver assign it.
  const seen = { poisoned: false };
  let value: unknown;
  try {
    value = JSON.parse(body, (key, v: unknown) => {
      if (key === '__proto__') seen.poisoned = true;
      return v;
    });
  } catch (e) {
    done(Object.assign(new Error(`body is not valid JSON: ${(e as Error).message}`), { statusCode: 400 }));
    return;
  }
  if (seen.poisoned) {
    done(Object.assign(new Error('"__proto__" is not allowed as a key anywhere in the body'), { statusCode: 400 }));
    return;
  }
  done(null, value);
}

export interface AdminApiOptions {
  readonly surface: AdminSurface;
  /** Everything: drain, reload, switch writes, and all reads. */
  readonly token: string;
  /** Reads only (GET): what a Prometheus scraper or a dashboard holds, so it cannot drain the gateway. */
  readonly readToken?: string | undefined;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * The admin API as a Fastify plugin over the narrow `AdminSurface`. `/ready` needs no token (load
 * balancers poll it; it reveals nothing); reads need the read-only or the admin token; everything
 * that changes state needs the admin token. JSON is snake_case with integer milliseconds, and every
 * error is `{ "error": { "code", "message", "issues"? } }`.
 */
export const adminApi: FastifyPluginCallback<AdminApiOptions> = (app, { surface: gw, token, readToken }, done) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/ready') return;
    const auth = req.headers.authorization;
    if (tokenMatches(auth, token)) return;
    if (tokenMatches(auth, readToken)) {
      if (READ_METHODS.has(req.method)) return;
      await sendAdminError(reply, 403, 'forbidden', 'the read-only token cannot drain, reload or write switches; use the admin token');
      return;
    }
    await sendAdminError(reply.header('www-authenticate', 'Bearer'), 401, 'unauthorized', 'missing or invalid bearer token');
  });
  app.setNotFoundHandler((req, reply) => sendAdminError(reply, 404, 'not_found', `no ${req.method} ${req.url.split('?')[0] ?? ''}; GET / lists the endpoints`));
  app.setErrorHandler((err: { statusCode?: number; message?: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    return status < 500 ? sendAdminError(reply, status, 'invalid_request', err.message ?? 'bad request') : sendAdminError(reply, 500, 'internal', 'internal error');
  });

  const index = (_req: unknown, reply: FastifyReply) => reply.send({ endpoints: ADMIN_ENDPOINTS.map(e => ({ method: e.method, path: e.path, scope: e.scope, summary: e.summary })) });
  app.get('/', index);
  app.get('/help', index);

  app.get('/ready', (_req, reply) => {
    if (gw.draining) return reply.code(503).type('text/plain').send('DRAINING');
    return reply.type('text/plain').send('LIVE');
  });

  app.get('/server_info', (_req, reply) => reply.send(gw.serverInfo()));
  app.get('/config', (_req, reply) => reply.send(gw.redactedConfig()));
  app.get('/config_dump', (_req, reply) => reply.send({ config: gw.redactedConfig(), switches: gw.switchDocument() }));
  app.get('/clusters', (_req, reply) => reply.send({ clusters: gw.clusterStatus() }));
  app.get('/routes', (_req, reply) => reply.send({ routes: gw.routeStatus() }));
  app.get('/switches', (_req, reply) => reply.send(gw.switchStatus()));
  app.get('/stats', async (_req, reply) => reply.send({ metrics: await gw.metrics.registry.getMetricsAsJSON() }));
  app.get('/stats/prometheus', async (_req, reply) => {
    const body = await gw.metrics.registry.metrics();
    return reply.type(gw.metrics.registry.contentType).send(body);
  });
  app.get('/openapi.json', (_req, reply) => reply.send(adminOpenApi()));

  app.post('/healthcheck/fail', (_req, reply) => {
    gw.setDraining(true);
    return reply.send({ draining: true });
  });
  app.post('/healthcheck/ok', (_req, reply) => {
    gw.setDraining(false);
    return reply.send({ draining: false });
  });

  app.put('/switches', async (req, reply) => switchWritten(reply, await gw.writeSwitches(req.body)));
  app.patch('/switches', async (req, reply) => {
    const p = switchPatchSchema.safeParse(req.body);
    if (!p.success) {
      const issues = p.error.issues.map(i => ({ path: i.path.join('.'), message: i.message }));
      return sendAdminError(reply, 400, 'invalid_switch_document', 'invalid switch patch; the current switches were kept', issues);
    }
    return switchWritten(reply, await gw.patchSwitches(p.data));
  });
  app.delete<{ Params: { route: string } }>('/switches/routes/:route', async (req, reply) => switchWritten(reply, await gw.patchSwitches({ routes: { [req.params.route]: null } })));
  app.post('/switches/restore', async (_req, reply) => {
    const doc = gw.switchDocument();
    const routes = Object.fromEntries(Object.keys(doc?.routes ?? {}).map(r => [r, null]));
    return switchWritten(reply, await gw.patchSwitches({ global_level: 0, global_shadow: false, routes }));
  });

  app.post('/reload', async (_req, reply) => {
    const result = await gw.reloadFromFile();
    if (!result.ok) return sendAdminError(reply, 400, 'invalid_config', 'invalid config; the running config was kept', result.issues);
    return result;
  });

  done();
};

/** One answer for every switch write: applied (200), saved but not yet enforced here (202), or an error. */
function switchWritten(reply: FastifyReply, r: SwitchWriteOutcome): FastifyReply {
  if (r.ok) {
    // In fleet mode the write is saved in Redis; it is applied only once this gateway enforces it.
    const enforced = 'enforced' in r ? (r.enforced ?? r.version) : r.version;
    // On Sentinel: how many replicas acknowledged it; none means a failover now could lose it.
    const replication = r.replicated === undefined ? {} : { replicated: r.replicated, ...(r.replicated === 0 && { replication_warning: 'no Redis replica acknowledged the write within 1 s: it is on the primary only, and a failover now could lose it' }) };
    if (enforced >= r.version) return reply.send({ saved: true, applied: true, version: r.version, ...replication });
    return reply.code(202).send({ saved: true, applied: false, version: r.version, enforced_version: enforced, message: 'saved in Redis but not (yet) enforced by this gateway', ...replication });
  }
  if (r.reason === 'stale') return reply.code(409).send({ ...adminError('stale_switch_document', `stale switch document: version ${r.current} is current; read it and try again`), current_version: r.current });
  if (r.reason === 'unavailable') return sendAdminError(reply, 503, 'switch_store_unavailable', 'switch store (Redis) unreachable; nothing was written');
  return sendAdminError(reply, 400, 'invalid_switch_document', 'invalid switch document; the current switches were kept', r.issues);
}

// Not encapsulated (what fastify-plugin does): the token check also answers unknown paths with 401.
(adminApi as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** The admin API on its own listener (never the public one). */
export function createAdminServer(surface: AdminSurface, token: string, readToken?: string, tls?: TlsOptions): FastifyInstance {
  // `admin.tls`: the admin listener's own certificate (and client CA, for mutual TLS).
  const app = (tls ? Fastify({ logger: false, https: tls }) : Fastify({ logger: false })) as unknown as FastifyInstance;
  void app.register(adminApi, { surface, token, readToken });
  return app;
}
