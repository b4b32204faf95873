import { spawn, type ChildProcess } from 'node:child_process';

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;

export interface GatewayProcess {
  readonly child: ChildProcess;
  /** Everything written to stderr so far (the operational log and start-up errors). */
  stderr(): string;
  readonly exit: Promise<number | null>;
}

/** Runs `brownout` (src/main.ts) as its own process, as an operator would, with the access log off. */
export function startGateway(args: string[], extraEnv: Record<string, string> = {}): GatewayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, BROWNOUT_ADMIN_TOKEN: 't', BROWNOUT_ACCESS_LOG: 'off', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>(resolve => {
    child.on('exit', code => {
      resolve(code);
    });
  });
  return { child, stderr: () => err, exit };
}
