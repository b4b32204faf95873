import { after } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * A throwaway redis-server on a unix socket in a fresh temp dir: no port to collide with the
 * machine's Redis or another test. Stoppable and restartable on the same socket, to test outages.
 */
export class TestRedis {
  readonly socket: string;
  private proc: ChildProcess | undefined;

  constructor() {
    this.socket = join(mkdtempSync(join(tmpdir(), 'brownout-redis-')), 'redis.sock');
  }

  get url(): string {
    return this.socket;
  }

  async start(): Promise<this> {
    const proc = spawn('redis-server', ['--port', '0', '--unixsocket', this.socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      proc.once('error', e => {
        reject(new Error(`cannot start redis-server (is it installed? apt-get install -y redis-server): ${e.message}`));
      });
      const deadline = Date.now() + 5_000;
      const poll = (): void => {
        const c = new Redis(this.socket, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on('error', () => undefined);
        c.connect()
          .then(() => c.ping())
          .then(
            () => {
              c.disconnect();
              resolve();
            },
            () => {
              c.disconnect();
              if (Date.now() > deadline) reject(new Error('redis-server did not answer'));
              else setTimeout(poll, 30);
            },
          );
      };
      poll();
    });
    return this;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    this.proc = undefined;
    p.kill('SIGCONT');
    await new Promise<void>(resolve => {
      p.once('exit', () => {
        resolve();
      });
      p.kill('SIGKILL');
    });
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: connections stay open but nothing answers. */
  freeze(on: boolean): void {
    this.proc?.kill(on ? 'SIGSTOP' : 'SIGCONT');
  }

  client(): Redis {
    const c = new Redis(this.socket, { maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    after(() => {
      c.disconnect();
    });
    return c;
  }
}

export async function redisServer(): Promise<TestRedis> {
  const r = await new TestRedis().start();
  after(() => r.stop());
  return r;
}
