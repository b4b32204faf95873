/**
 * `npm start`: demo upstreams whose failure mode you can switch, plus the gateway on
 * examples/demo.yaml, and a printout of where to look. Everything on 127.0.0.1.
 */
import './lifecycle/heap-policy.ts'; // first: before any request-path code allocates
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadConfigText } from '@brownout/core/config';
import { connectRedis, redactRedisUrl } from '@brownout/control-plane';
import { Gateway } from './gateway.ts';
import { createControlServer, DemoUpstream } from './demo/demo-upstreams.ts';

const CONFIG = fileURLToPath(new URL('../../../examples/demo.yaml', import.meta.url));

/**
 * Fleet mode only on a Redis named by REDIS_URL that answers within 500 ms; embedded otherwise. No
 * default address: a demo never writes into a Redis nobody gave it (`npm start` passes the socket
 * of the throwaway redis-server it started).
 */
async function findRedis(): Promise<string | undefined> {
  const url = process.env.REDIS_URL;
  if (!url) return undefined;
  const c = connectRedis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.ping();
    return url;
  } catch {
    return undefined;
  } finally {
    c.disconnect();
  }
}
const CONTROL_PORT = 9100;

async function main(): Promise<void> {
  const upstreams = [
    new DemoUpstream('catalog-1', 9101),
    new DemoUpstream('catalog-2', 9102),
    new DemoUpstream('catalog-3', 9103),
    new DemoUpstream('fallback', 9201),
  ];
  try {
    await Promise.all(upstreams.map(u => u.start()));
  } catch (e) {
    process.stderr.write(`brownout demo: cannot start demo upstreams on 127.0.0.1:9101-9103/9201 (${e instanceof Error ? e.message : String(e)}). Is another demo running?\n`);
    process.exit(1);
  }
  const control = createControlServer(upstreams);
  await new Promise<void>(resolve => control.listen(CONTROL_PORT, '127.0.0.1', resolve));

  process.env.BROWNOUT_ADMIN_TOKEN ??= 'demo-token';
  const token = process.env.BROWNOUT_ADMIN_TOKEN;
  const config = loadConfigText(await readFile(CONFIG, 'utf8'));
  const accessLog = process.env.BROWNOUT_ACCESS_LOG ?? 'off';
  const redisUrl = await findRedis();
  const gw = new Gateway({ config, configPath: CONFIG, accessLog, adminToken: token, redisUrl });
  const where = await gw.listen();
  const switchesLine = redisUrl
    ? `switches        fleet mode on ${process.env.BROWNOUT_DEMO_REDIS === 'throwaway' ? `a throwaway redis-server (${redisUrl}), removed at exit` : redactRedisUrl(redisUrl)}`
    : `switches        EMBEDDED (${process.env.REDIS_URL ? 'REDIS_URL did not answer' : 'no REDIS_URL given'}): single instance only; set REDIS_URL for fleet mode`;
  const auth = `-H 'authorization: Bearer ${token}'`;
  // A newcomer sharing a Redis sees at once why a route is degraded.
  const doc = gw.switchDocument();
  const overrides = Object.entries(doc?.routes ?? {});
  const inForce =
    !doc || (doc.global_level === 0 && overrides.length === 0)
      ? 'none (every route normal)'
      : [`version ${doc.version}, global level ${doc.global_level}${doc.global_shadow ? ' (shadow)' : ''}`, ...overrides.map(([r, o]) => `${r}: ${o.mode}${o.shadow ? ' (shadow)' : ''} — ${o.reason} (${o.actor})${o.expires_at ? `, until ${o.expires_at}` : ''}`)].join('\n                  ');
  process.stdout.write(`
Brownout is running.

  public API      ${where.public}            try: curl -i ${where.public}/api/products
  admin API       ${where.admin}             curl ${auth} ${where.admin}/clusters
  metrics                                          curl ${auth} ${where.admin}/stats/prometheus
  demo upstreams  http://127.0.0.1:${CONTROL_PORT}            curl http://127.0.0.1:${CONTROL_PORT}/
  ${switchesLine}
  switches now    ${inForce}

Make an upstream fail and watch the gateway route around it:
  curl -X POST http://127.0.0.1:${CONTROL_PORT}/catalog-2/503      (also: slow, hang, refuse, reset, partial, healthy)
  for i in $(seq 20); do curl -s ${where.public}/api/products; done
  curl -s ${auth} ${where.admin}/clusters       # catalog-2 shows /failed_outlier_check, then comes back

Degrade a route by hand (PATCH changes only what it names; the console at :3000 does the same with a form):
  curl -X PATCH ${auth} -H 'content-type: application/json' ${where.admin}/switches \\
    -d '{"routes":{"products":{"mode":"fallback_service","reason":"demo","actor":"you"}}}'
  curl -X DELETE ${auth} ${where.admin}/switches/routes/products      # back to normal
  ("global_level": 1..3 sheds low, normal, high routes; POST /switches/restore undoes everything)

Config: ${CONFIG} (edit it, then: kill -HUP ${process.pid}). Access log: ${accessLog} (BROWNOUT_ACCESS_LOG=stdout to see it).
Ctrl-C drains and stops.
`);
  const stop = (): void => {
    void gw.close(2_000).then(async () => {
      control.close();
      await Promise.all(upstreams.map(u => u.stop()));
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', () => {
    void gw.reloadFromFile();
  });
}

void main();
