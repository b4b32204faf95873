/**
 * The benchmark's baseline: bare @fastify/http-proxy with no engine, logger off, its own defaults
 * otherwise (as perf.md measured it). Usage: node bare-proxy.js <upstream-url> <port>
 */
import Fastify from 'fastify';
import httpProxy from '@fastify/http-proxy';

const [upstream, port] = process.argv.slice(2);
const app = Fastify({ logger: false });
await app.register(httpProxy, { upstream: upstream!, disableRequestLogging: true });
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('ready\n');
process.on('SIGINT', () => {
  void app.close().then(() => process.exit(0));
});
