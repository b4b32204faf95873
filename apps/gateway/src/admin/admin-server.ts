import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyPluginCallback } from 'fastify';
import type { AdminSurface } from './admin-surface.ts';

function tokenMatches(header: string | undefined, token: string): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export interface AdminApiOptions {
  readonly surface: AdminSurface;
  readonly token: string;
}

/**
 * The admin API as a Fastify plugin over the narrow `AdminSurface`. Everything but `/ready` needs
 * the bearer token: `/ready` is what load balancers poll, and it reveals nothing.
 */
export const adminApi: FastifyPluginCallback<AdminApiOptions> = (app, { surface: gw, token }, done) => {
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/ready') return;
    if (!tokenMatches(req.headers.authorization, token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'missing or invalid bearer token' });
    }
  });

  app.get('/ready', (_req, reply) => {
    if (gw.draining) return reply.code(503).type('text/plain').send('DRAINING');
    return reply.type('text/plain').send('LIVE');
  });

  app.post('/healthcheck/fail', (_req, reply) => {
    gw.setDraining(true);
    return reply.send({ draining: true });
  });

  app.post('/healthcheck/ok', (_req, reply) => {
    gw.setDraining(false);
    return reply.send({ draining: false });
  });

  app.get('/clusters', (_req, reply) => reply.send({ clusters: gw.clusterStatus() }));

  app.get('/routes', (_req, reply) => reply.send({ routes: gw.routeStatus() }));

  app.get('/stats/prometheus', async (_req, reply) => {
    const body = await gw.metrics.registry.metrics();
    return reply.type(gw.metrics.registry.contentType).send(body);
  });

  app.get('/config', (_req, reply) => reply.send(gw.redactedConfig()));

  app.get('/switches', (_req, reply) => reply.send(gw.switchStatus()));

  app.put('/switches', async (req, reply) => {
    const r = await gw.writeSwitches(req.body);
    if (r.ok) {
      // In fleet mode the write is saved in Redis; it is applied only once this gateway enforces it.
      const enforced = 'enforced' in r ? r.enforced : r.version;
      if (enforced === r.version) return reply.send({ saved: true, applied: true, version: r.version });
      return reply.code(202).send({ saved: true, applied: false, version: r.version, enforced_version: enforced, error: 'saved in Redis but not (yet) enforced by this gateway' });
    }
    if (r.reason === 'stale') return reply.code(409).send({ error: 'stale switch document', current_version: r.current });
    if (r.reason === 'unavailable') return reply.code(503).send({ error: 'switch store (Redis) unreachable; nothing was written' });
    return reply.code(400).send({ error: 'invalid switch document; the current switches were kept', issues: r.issues });
  });

  app.post('/reload', async (_req, reply) => {
    const result = await gw.reloadFromFile();
    if (!result.ok) return reply.code(400).send({ error: 'invalid config; the running config was kept', issues: result.issues });
    return result;
  });

  done();
};

// Not encapsulated (what fastify-plugin does): the token check also answers unknown paths with 401.
(adminApi as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** The admin API on its own listener (never the public one). */
export function createAdminServer(surface: AdminSurface, token: string): FastifyInstance {
  const app = Fastify({ logger: false });
  void app.register(adminApi, { surface, token });
  return app;
}
