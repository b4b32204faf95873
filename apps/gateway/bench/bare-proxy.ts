/**
 * The benchmark's baseline: bare @fastify/http-proxy with no engine, logger off, its own defaults
 * otherwise (as perf.md measured it). Usage: node bare-proxy.js <upstream-url> <port> [<cert> <key> [h2]]
 * — with a certificate and key it serves HTTPS (HTTP/1.1), adding `h2` it serves h2 and HTTP/1.1 by
 * ALPN, as the gateway's listener does with `tls` and codec_type AUTO. With `- - h2c` it serves h2c
 * and speaks HTTP/2 to the upstream (reply-from's `http2`), the gRPC benchmark's bare proxy.
 */
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import httpProxy from '@fastify/http-proxy';

const [upstream, port, cert, key, h2] = process.argv.slice(2);
const h2c = h2 === 'h2c';
const tls = cert && key && !h2c ? { cert: readFileSync(cert), key: readFileSync(key) } : undefined;
// One type for the three servers: the proxy plugin is registered the same way on each.
const app = (
  h2c ? Fastify({ logger: false, http2: true }) : tls ? (h2 === 'h2' ? Fastify({ logger: false, http2: true, https: { ...tls, allowHTTP1: true } }) : Fastify({ logger: false, https: tls })) : Fastify({ logger: false })
) as unknown as FastifyInstance;
await app.register(httpProxy, { upstream: upstream!, disableRequestLogging: true, ...(h2c && { http2: true }) });
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('ready\n');
process.on('SIGINT', () => {
  void app.close().then(() => process.exit(0));
});
