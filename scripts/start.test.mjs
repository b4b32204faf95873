// `npm start` with nothing set: the demo runs its switches on a throwaway redis-server of its own,
// and never connects to the Redis at the default address (127.0.0.1:6379) — observed from that
// Redis's own connection counter, before, during (a switch written) and after the demo.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A minimal RESP client on one connection (commands answered in order). */
class Resp {
  constructor(target) {
    this.sock = net.connect(target);
    this.buf = '';
    this.waiting = [];
    this.sock.on('data', d => {
      this.buf += d.toString();
      this.drain();
    });
  }
  ready() {
    return new Promise((resolve, reject) => {
      this.sock.once('connect', resolve);
      this.sock.once('error', reject);
    });
  }
  drain() {
    while (this.waiting.length > 0) {
      const r = parseReply(this.buf);
      if (!r) return;
      this.buf = this.buf.slice(r.used);
      this.waiting.shift()(r.value);
    }
  }
  command(...args) {
    return new Promise(resolve => {
      this.waiting.push(resolve);
      this.sock.write(`*${args.length}\r\n${args.map(a => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
  }
  close() {
    this.sock.destroy();
  }
}

function parseReply(s) {
  const nl = s.indexOf('\r\n');
  if (nl < 0) return undefined;
  const head = s.slice(1, nl);
  if (s[0] === '+' || s[0] === '-' || s[0] === ':') return { value: head, used: nl + 2 };
  if (s[0] === '$') {
    const n = Number(head);
    if (n < 0) return { value: null, used: nl + 2 };
    if (Buffer.byteLength(s.slice(nl + 2)) < n + 2) return undefined;
    return { value: s.slice(nl + 2, nl + 2 + n), used: nl + 4 + n };
  }
  if (s[0] === '*') {
    let used = nl + 2;
    const items = [];
    for (let i = 0; i < Number(head); i++) {
      const r = parseReply(s.slice(used));
      if (!r) return undefined;
      items.push(r.value);
      used += r.used;
    }
    return { value: items, used };
  }
  return undefined;
}

async function connectionsReceived(c) {
  const info = await c.command('INFO', 'stats');
  return Number(/total_connections_received:(\d+)/.exec(info)[1]);
}

function answers(port) {
  return new Promise(resolve => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('npm start (demo)', () => {
  it('starts a throwaway redis-server and never touches the Redis at 127.0.0.1:6379', { timeout: 120_000 }, async () => {
    // The Redis a demo could stumble on: the machine's, or (when none runs) one of ours on that address.
    if (!(await answers(6379))) {
      const own = spawn('redis-server', ['--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      after(() => own.kill('SIGKILL'));
      for (let i = 0; i < 100 && !(await answers(6379)); i++) await new Promise(r => setTimeout(r, 50));
    }
    const machine = new Resp({ host: '127.0.0.1', port: 6379 });
    await machine.ready();
    after(() => machine.close());
    const before = await connectionsReceived(machine);

    const env = { ...process.env, BROWNOUT_CONSOLE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'brownout-start-')) };
    delete env.REDIS_URL;
    delete env.BROWNOUT_GATEWAY_URL;
    const demo = spawn(process.execPath, ['scripts/start.mjs'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    demo.stdout.on('data', d => (out += d));
    demo.stderr.on('data', d => (out += d));
    // SIGINT lets start.mjs stop its children (gateway, console, Redis); a SIGKILL would orphan them.
    after(async () => {
      if (demo.exitCode !== null) return;
      demo.kill('SIGINT');
      await new Promise(r => demo.once('exit', r));
    });
    const deadline = Date.now() + 60_000;
    while (!(/Brownout is running/.test(out) && /console\s+http/.test(out))) {
      assert.ok(Date.now() < deadline && demo.exitCode === null, `demo did not come up:\n${out}`);
      await new Promise(r => setTimeout(r, 100));
    }
    const socket = /fleet mode on a throwaway redis-server \(([^)]+)\)/.exec(out)?.[1];
    assert.ok(socket, `the banner names the throwaway Redis:\n${out}`);
    assert.match(out, /console\s+http:\/\/127\.0\.0\.1:\d+\s+fleet mode on a throwaway redis-server/);

    // A switch written through the gateway lands in the demo's own Redis.
    const res = await fetch('http://127.0.0.1:9901/switches', {
      method: 'PATCH',
      headers: { authorization: 'Bearer demo-token', 'content-type': 'application/json' },
      body: JSON.stringify({ global_level: 1 }),
    });
    assert.equal(res.status, 200, await res.text());
    const own = new Resp({ path: socket });
    await own.ready();
    const keys = await own.command('KEYS', '*');
    own.close();
    assert.ok(keys.some(k => k.includes('switches')), `switch keys in the throwaway Redis: ${keys}`);

    demo.kill('SIGINT');
    await new Promise(r => demo.once('exit', r));
    assert.equal(existsSync(path.dirname(socket)), false, 'the throwaway Redis is removed at exit');
    // Our own INFO connection is the only one the machine's Redis has seen since `before`.
    assert.equal(await connectionsReceived(machine), before, 'no connection reached 127.0.0.1:6379');
  });
});
