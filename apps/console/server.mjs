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

/**
 * Sent with every answer: the console is never framed (clickjacking a switch flip), scripts and
 * styles come from the console itself (Next's inline bootstrap needs 'unsafe-inline'; no remote
 * origin is allowed), forms post only to the console, and nothing is sniffed or leaked in referrers.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a state-changing request is refused as cross-site, or undefined when it comes from the
 * console's own pages. Next checks a server action's Origin only when the header is there; a post
 * with neither Origin nor Sec-Fetch-Site (old clients, some proxies, a forged request) was carried
 * out. Every browser that runs the console sends at least one of them.
 */
function crossSite(req) {
  if (SAFE_METHODS.has(req.method)) return undefined;
  const origin = req.headers.origin;
  if (typeof origin === 'string') {
    const host = (trustProxy && req.headers['x-forwarded-host']) || req.headers.host;
    let originHost;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Origin ${JSON.stringify(origin)} is not this console`;
    }
    return originHost === host ? undefined : `Origin ${origin} is not this console`;
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'same-origin') return undefined;
  if (typeof site === 'string') return `Sec-Fetch-Site: ${site}`;
  return 'neither Origin nor Sec-Fetch-Site was sent';
}

const server = http.createServer((req, res) => {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  const refused = crossSite(req);
  if (refused) {
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`forbidden: cross-site request refused (${refused}); nothing was changed\n`);
    return;
  }
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
