import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateway, type GatewayProcess } from './gateway-process.ts';
import { eventually } from './harness.ts';

// HTTP/2 floods against the public listener (h2c here; the same session code serves h2 over TLS).
// Each attack runs from its own process writing raw frames, while a normal client on its own
// connection keeps asking: its p99 must stay within 2× of its quiet p99, the gateway's memory and
// descriptors bounded, and nothing of the attack may reach the upstream as a request.

const ATTACKER = fileURLToPath(new URL('./fixtures/h2-attacker.mjs', import.meta.url));
const ATTACK_MS = 3_000;
const BIG = Buffer.alloc(1 << 20, 0x61);

function freePort(): Promise<number> {
  return new Promise(resolve => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => { resolve(p); });
    });
  });
}

const rssKb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

function p99(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!;
}

/** A normal client: sequential GETs on its own h2 connection for `ms`, latencies in ms. */
async function normalClient(url: string, ms: number): Promise<{ latencies: number[]; failures: number }> {
  const session = http2.connect(url);
  session.on('error', () => undefined);
  const latencies: number[] = [];
  let failures = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const t0 = performance.now();
    const status = await new Promise<number>(resolve => {
      const req = session.request({ ':path': '/ok' });
      let st = 0;
      req.on('response', h => (st = Number(h[':status'])));
      req.on('error', () => { resolve(0); });
      req.resume();
      req.on('end', () => { resolve(st); });
      req.setTimeout(2_000, () => {
        req.close();
        resolve(0);
      });
    });
    latencies.push(performance.now() - t0);
    if (status !== 200) failures++;
    await new Promise(r => setTimeout(r, 5));
  }
  session.close();
  return { latencies, failures };
}

/** Each attack from its own loopback address: the penalty box earned by one must not pre-empt the next. */
function attack(kind: string, port: number, from: string, ms = ATTACK_MS): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [ATTACKER, kind, String(port), String(ms)], { timeout: ms + 15_000, env: { ...process.env, ATTACK_FROM: from } }, (err, stdout) => {
      if (err) reject(new Error(`attacker ${kind} failed: ${err.message}`));
      else resolve(JSON.parse(stdout) as Record<string, number | string>);
    });
  });
}

describe('HTTP/2 floods', () => {
  let gw: GatewayProcess;
  let url = '';
  let adminUrl = '';
  let upstreamRequests = 0;
  const paths = new Set<string>();
  const uploads: number[] = [];
  let quietP99 = 0;
  let baseRss = 0;
  let baseFds = 0;
  // Registered at the suite level: an `after` called inside `before` runs when `before` ends.
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  before(async () => {
    const upstream = http.createServer((req, res) => {
      upstreamRequests++;
      paths.add(req.url ?? '');
      // An upload is read to its end, as a real service would, and its size kept.
      let uploaded = 0;
      req.on('data', (c: Buffer) => (uploaded += c.length));
      if (req.method === 'POST' && req.url === '/big') req.once('end', () => uploads.push(uploaded));
      // One buffer for every answer: the upstream lives in this process, next to the measured client.
      if (req.url === '/big') res.end(BIG);
      else res.end('ok');
    });
    await new Promise<void>(r => upstream.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      upstream.closeAllConnections();
      await new Promise(r => upstream.close(r));
    });
    const port = await freePort();
    const adminPort = await freePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    const dir = mkdtempSync(join(tmpdir(), 'brownout-h2flood-'));
    const configPath = join(dir, 'gateway.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        listener: { address: '127.0.0.1', port, codec_type: 'HTTP2', send_timeout: '2s' },
        admin: { address: '127.0.0.1', port: adminPort, token: 't' },
        clusters: [{ name: 'api', hosts: [`127.0.0.1:${(upstream.address() as net.AddressInfo).port}`] }],
        routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', timeout: '5s' }],
      }),
    );
    gw = startGateway(['--config', configPath]);
    cleanups.push(async () => {
      gw.child.kill('SIGTERM');
      await gw.exit;
    });
    url = `http://127.0.0.1:${port}`;
    await eventually(() => gw.stderr().includes('listening'), 20_000, `gateway listening:\n${gw.stderr()}`);
    // Warm up, then the quiet baseline, measured the same way as under attack.
    await normalClient(url, 1_000);
    // Quiet, but with a process spinning on a core as the attacker's does: on two cores the
    // attacker's own CPU is the scheduler's doing, not the gateway's, and the baseline includes it.
    const spinner = execFile(process.execPath, ['-e', `const end = Date.now() + ${ATTACK_MS + 500}; while (Date.now() < end);`]);
    quietP99 = p99((await normalClient(url, ATTACK_MS)).latencies);
    await new Promise(r => spinner.once('exit', r));
    baseRss = rssKb(gw.child.pid!);
    baseFds = fds(gw.child.pid!);
    console.log(`baseline (a core kept busy beside it): quiet p99 ${quietP99.toFixed(2)} ms, rss ${baseRss} kB, fds ${baseFds}`);
  });

  // The guard each attack must be stopped by, read from the admin's metrics: a p99 that holds for
  // another reason (a quiet scheduler) does not prove the defence.
  const GUARD: Record<string, RegExp> = {
    'hpack-bomb': /brownout_downstream_http2_sessions_closed_total\{reason="refused_streams"\} (\d+)/,
    'zero-window': /brownout_downstream_http2_streams_refused_total (\d+)/,
  };
  const guardCount = async (kind: string): Promise<number> => {
    const re = GUARD[kind];
    if (!re) return 0;
    const text = await (await fetch(`${adminUrl}/stats/prometheus`, { headers: { authorization: 'Bearer t' } })).text();
    return Number(re.exec(text)?.[1] ?? 0);
  };
  const KINDS = (process.env.FLOOD_KINDS ?? 'rapid-reset,continuation,hpack-bomb,settings-flood,ping-flood,empty-data,zero-window').split(',');
  for (const [i, kind] of KINDS.entries()) {
    it(`${kind}: a normal client keeps its p99 within 2× of quiet; memory and descriptors stay bounded`, async () => {
      // Up to two rounds, each from a fresh address, judged by the better p99: on two cores the
      // attacker's own process sometimes takes the measuring client's core for a few ms (a spike of
      // 20 ms in one round of an attack that reads 9–10 ms in the next). A defence that does not
      // work fails both rounds (the open ones above read 3–20× quiet, every round).
      let best = Infinity;
      const reports: string[] = [];
      const guardBefore = await guardCount(kind);
      for (let round = 0; round < 2 && best > Math.max(2 * quietP99, quietP99 + 10); round++) {
        const before = upstreamRequests;
        let peakRss = 0;
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssKb(gw.child.pid!))), 100);
        const [stats, normal] = await Promise.all([attack(kind, Number(new URL(url).port), `127.0.${round + 1}.${10 + i}`), normalClient(url, ATTACK_MS)]);
        clearInterval(sampler);
        const p = p99(normal.latencies);
        const report = `${kind}: normal p99 ${p.toFixed(2)} ms (quiet ${quietP99.toFixed(2)} ms, ${normal.latencies.length} requests, ${normal.failures} failed); peak RSS +${Math.round((peakRss - baseRss) / 1024)} MB; upstream requests +${upstreamRequests - before}; attacker ${JSON.stringify(stats)}`;
        console.log(report);
        reports.push(report);
        assert.equal(normal.failures, 0, report);
        best = Math.min(best, p);
        // A zero-window client holds its answers: 200 of them (max_concurrent_streams_per_client) at
        // ~250 KiB each; every other attack holds nothing.
        assert.ok(peakRss - baseRss < (kind === 'zero-window' ? 128 : 64) * 1024, `memory bounded: ${report}`);
        await eventually(() => fds(gw.child.pid!) <= baseFds + 4, 5_000, `descriptors back to ${baseFds} (now ${fds(gw.child.pid!)})`);
        const reached = upstreamRequests - before - normal.latencies.length;
        // A zero-window client's requests are honest requests until it stops reading: they reach the
        // upstream, but no more of them at once than max_concurrent_streams_per_client (200).
        if (kind === 'zero-window') assert.ok(reached <= 200, `${reached} of the zero-window client's requests reached the upstream`);
        else if (kind !== 'empty-data') assert.ok(reached <= 0, `${reached} attack requests reached the upstream`);
      }
      // 2× of quiet, or within 10 ms of it: below that, a 2-core machine running the attacker's
      // process next to the gateway measures its scheduler, not the gateway.
      assert.ok(best <= Math.max(2 * quietP99, quietP99 + 10), reports.join('\n'));
      assert.equal(gw.child.exitCode, null, 'the gateway is still running');
      if (GUARD[kind]) assert.ok((await guardCount(kind)) > guardBefore, `${kind} was stopped by its guard (${String(GUARD[kind])})`);
    });
  }

  it('a client whose sessions were closed for abuse is refused at accept for the penalty; others are not', async () => {
    const refused = async (): Promise<number> => Number(/brownout_downstream_connections_refused_total (\d+)/.exec(await (await fetch(`${adminUrl}/stats/prometheus`, { headers: { authorization: 'Bearer t' } })).text())?.[1] ?? NaN);
    const before = await refused();
    const stats = await attack('rapid-reset', Number(new URL(url).port), '127.0.0.9', 1_000);
    assert.ok(Number(stats.connections) > 4, `the attacker kept reconnecting: ${JSON.stringify(stats)}`);
    // A well-behaved request from the attacker's address is refused too: the penalty is per client.
    const fromAttacker = await new Promise<string>(resolve => {
      const socket = net.connect({ host: '127.0.0.1', port: Number(new URL(url).port), localAddress: '127.0.0.9' });
      const session = http2.connect(url, { createConnection: () => socket });
      session.on('error', (e: Error) => { resolve(`error ${e.message}`); });
      session.on('close', () => { resolve('closed'); });
      const req = session.request({ ':path': '/ok' });
      req.on('error', () => undefined);
      req.on('response', h => { resolve(String(h[':status'])); });
    });
    assert.notEqual(fromAttacker, '200', 'the attacker\'s address is in the penalty box');
    const after = await refused();
    assert.ok(after - before >= Number(stats.connections) - 4, `reconnections refused at accept: ${after - before} of ${stats.connections}`);
    // Everyone else is served throughout.
    const normal = await normalClient(url, 300);
    assert.equal(normal.failures, 0);
  });

  it('an honest busy session is never mistaken for abuse: 100 streams in flight, big headers, uploads, answers read late', { timeout: 60_000 }, async () => {
    const closedForAbuse = async (): Promise<string> => (await (await fetch(`${adminUrl}/stats/prometheus`, { headers: { authorization: 'Bearer t' } })).text()).split('\n').filter(l => l.startsWith('brownout_downstream_')).join(' ');
    const before = await closedForAbuse();
    const session = http2.connect(url);
    session.on('error', () => undefined);
    // 12 KiB of headers per stream (a fat cookie, under max_header_bytes), a 256 KiB upload on a
    // tenth of them, every 1 MiB answer left unread for half a second with all 100 in flight.
    const upload = Buffer.alloc(256 << 10, 0x62);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        new Promise<string>(resolve => {
          const post = i % 10 === 0;
          const req = session.request({ ':path': '/big', ':method': post ? 'POST' : 'GET', cookie: `session=${String(i).repeat(12_000 / String(i).length)}` });
          let status = 0;
          let bytes = 0;
          req.on('response', h => (status = Number(h[':status'])));
          req.on('error', (e: Error) => { resolve(`error ${e.message}`); });
          req.on('close', () => { resolve(`${status} ${bytes}`); });
          req.setTimeout(10_000, () => {
            resolve(`stalled at ${bytes} (status ${status})`);
            req.close();
          });
          req.pause();
          setTimeout(() => {
            req.on('data', (c: Buffer) => (bytes += c.length));
            req.resume();
          }, 500);
          req.end(post ? upload : undefined);
        }),
      ),
    );
    session.close();
    assert.deepEqual(new Set(results), new Set([`200 ${BIG.length}`]), results.filter(r => r !== `200 ${BIG.length}`).slice(0, 5).join('; '));
    // Every upload arrived whole. An h2 POST declares neither content-length nor content-type here
    // (as a streamed fetch does): the gateway used to forward it with `content-length: 0`, and the
    // client — its upload reset unread — hung on Node 20 (the CI run that timed out).
    assert.deepEqual(uploads.splice(0), Array<number>(10).fill(upload.length));
    assert.equal(await closedForAbuse(), before, 'nothing counted as abuse');
  });

  // With 40 MiB of answers queued for the socket, Node stops reading the session: the resets are
  // never parsed and no HTTP/2 guard runs. What lets go of it is listener.send_timeout (2 s here):
  // the socket's write queue has not moved for that long.
  it('a client that stops reading while its answers are queued does not keep its socket', async () => {
    const port = Number(new URL(url).port);
    // Windows opened wide (16 MiB per stream, 1 GiB for the connection), 40 requests for 1 MiB
    // answers it never reads, then 200 streams reset at once: the premature-reset guard closes the
    // session, and Node would end the socket only once the 40 MiB queued for it had drained — never.
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.30' });
    socket.on('error', () => undefined);
    await new Promise(r => socket.once('connect', r));
    socket.pause();
    const frame = (type: number, flags: number, id: number, payload: Buffer): Buffer => {
      const h = Buffer.alloc(9);
      h.writeUIntBE(payload.length, 0, 3);
      h[3] = type;
      h[4] = flags;
      h.writeUInt32BE(id, 5);
      return Buffer.concat([h, payload]);
    };
    const settings = Buffer.alloc(6);
    settings.writeUInt16BE(4, 0);
    settings.writeUInt32BE(16 << 20, 2);
    const windowUpdate = Buffer.alloc(4);
    windowUpdate.writeUInt32BE(1 << 30, 0);
    // :method GET, :scheme http, :path (literal, indexed name 4), :authority (indexed name 1).
    const get = (path: string): Buffer => Buffer.concat([Buffer.from([0x82, 0x86, 0x04, path.length]), Buffer.from(path), Buffer.from([0x01, 9]), Buffer.from('127.0.0.1')]);
    const parts = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), frame(4, 0, 0, settings), frame(8, 0, 0, windowUpdate)];
    let id = 1;
    for (let i = 0; i < 40; i++, id += 2) parts.push(frame(1, 5, id, get('/big')));
    socket.write(Buffer.concat(parts));
    await new Promise(r => setTimeout(r, 300));
    const resets: Buffer[] = [];
    for (let i = 0; i < 200; i++, id += 2) resets.push(frame(1, 5, id, get('/flood')), frame(3, 0, id, Buffer.from([0, 0, 0, 8])));
    socket.write(Buffer.concat(resets));
    // The gateway's end of this one connection (its pooled upstream connections stay, as they should).
    const held = (): boolean =>
      readFileSync('/proc/net/tcp', 'utf8')
        .split('\n')
        .some(l => {
          const [, local, remote, state] = l.trim().split(/\s+/);
          return local === `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}` && remote?.startsWith('1E00007F:') && state === '01';
        });
    assert.ok(held(), 'the connection is open before the attack');
    await eventually(() => !held(), 8_000, 'the gateway let go of the socket');
    assert.ok(!socket.destroyed, 'the client still holds its end');
    socket.destroy();
  });

  it(':path and :authority abuses are refused before routing and never reach the upstream', async () => {
    const before = upstreamRequests;
    const session = http2.connect(url);
    session.on('error', () => undefined);
    const ask = (headers: Record<string, string>): Promise<number> =>
      new Promise(resolve => {
        let req: http2.ClientHttp2Stream;
        try {
          req = session.request(headers);
        } catch {
          resolve(-1); // the client library refuses to send it at all
          return;
        }
        let st = 0;
        req.on('response', h => (st = Number(h[':status'])));
        req.on('error', () => { resolve(0); });
        req.resume();
        req.on('close', () => { resolve(st); });
      });
    const cases: [string, Record<string, string>][] = [
      ['relative :path', { ':path': 'ok' }],
      ['asterisk :path', { ':path': '*' }],
      ['dot segments escaping the root', { ':path': '/../../etc/passwd%00' }],
      ['control character', { ':path': '/a\u0001b' }],
      ['userinfo in :authority', { ':path': '/ok', ':authority': 'admin:pw@127.0.0.1' }],
      ['an upstream smuggled in :path', { ':path': 'http://evil.example/ok' }],
    ];
    for (const [name, h] of cases) {
      const status = await ask(h);
      assert.ok(status === -1 || status === 0 || status === 400 || status === 404, `${name}: ${status}`);
    }
    session.close();
    // The absolute-form :path is routed by its path (/ok), as HTTP/1.1's absolute-form is, and its
    // authority replaces Host: it may reach the upstream as /ok, never as a request to evil.example.
    assert.ok([...paths].every(p => p === '/ok' || p === '/big' || p === '/flood'), [...paths].join(' '));
    assert.ok(upstreamRequests - before <= 1, `${upstreamRequests - before} reached the upstream`);
  });
});
