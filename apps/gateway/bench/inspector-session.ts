/**
 * A Chrome DevTools Protocol session with a child Node process started with `--inspect=<port>`:
 * enough to start and stop V8's CPU profiler and sampling heap profiler around exactly the measured
 * window (not the process's start-up or its drain), over undici's WebSocket client.
 */
import { WebSocket } from 'undici';

/** V8's CPU profile (Profiler.stop). */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** V8's sampling heap profile (HeapProfiler.stopSampling). */
export interface HeapProfile {
  head: HeapNode;
  samples: { size: number; nodeId: number }[];
}
export interface HeapNode {
  id: number;
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: HeapNode[];
}

export class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', ev => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id!);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result);
    });
  }

  /** Connects to the first target of the inspector listening on `port`. */
  static async connect(port: number): Promise<InspectorSession> {
    let url: string | undefined;
    for (let i = 0; i < 100 && url === undefined; i++) {
      try {
        const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
        url = list[0]?.webSocketDebuggerUrl;
      } catch {
        await new Promise(r => setTimeout(r, 50));
      }
    }
    if (url === undefined) throw new Error(`no inspector on 127.0.0.1:${port}`);
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => { resolve(); });
      ws.addEventListener('error', () => { reject(new Error(`inspector connection to ${url} failed`)); });
    });
    return new InspectorSession(ws);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
