/**
 * Bare @fastify/http-proxy in the fault scorecard: no engine, spreading over the three hosts with
 * undici's BalancedPool (what reply-from builds itself when given several upstreams), its own
 * retry defaults (GET 503s retried on the next host, up to 10 times), and timeouts matching the
 * other contenders'. Usage: node bare-proxy.js <port> <upstream-url>...
 */
import Fastify from 'fastify';
import httpProxy from '@fastify/http-proxy';
import { BalancedPool } from 'undici';

const [port, ...origins] = process.argv.slice(2);
const pool = new BalancedPool(origins, { connect: { timeout: 250 }, headersTimeout: 500, bodyTimeout: 500 });
const app = Fastify({ logger: false });
await app.register(httpProxy, { upstream: 'http://bare.upstream', undici: pool as never, disableRequestLogging: true });
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
