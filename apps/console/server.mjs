// The console's HTTP server: Next.js (built by `next build`) behind a plain node:http server, so
// the client's address comes from the socket, not from a header the client could forge.
// Usage: node server.mjs   (PORT, HOST; BROWNOUT_CONSOLE_TRUST_PROXY=1 behind a reverse proxy that
// sets X-Forwarded-For: then its last hop is used).
import http from 'node:http';
import next from 'next';

process.env.NEXT_TELEMETRY_DISABLED = '1';
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? '127.0.0.1';
const trustProxy = process.env.BROWNOUT_CONSOLE_TRUST_PROXY === '1';
const dir = new URL('.', import.meta.url).pathname;

const app = next({ dev: false, dir, hostname, port });
await app.prepare();
const handle = app.getRequestHandler();

const server = http.createServer((req, res) => {
  let ip = req.socket.remoteAddress ?? 'unknown';
  const fwd = req.headers['x-forwarded-for'];
  if (trustProxy && typeof fwd === 'string' && fwd.length > 0) ip = fwd.split(',').at(-1).trim();
  req.headers['x-brownout-client-ip'] = ip;
  // Next compares a server action's Origin with X-Forwarded-Host when present: only a trusted
  // proxy may set it.
  if (!trustProxy) delete req.headers['x-forwarded-host'];
  void handle(req, res);
});
server.listen(port, hostname, () => {
  process.stdout.write(`brownout console listening on http://${hostname}:${port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
