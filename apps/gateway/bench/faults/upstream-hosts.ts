/**
 * The scorecard's three upstream hosts, in a process of their own so that their work never shares
 * an event loop with the load generator or a proxy. Controlled over IPC by the runner: it switches
 * a host's mode at the scenario's times and, at the end, collects every request's arrival time.
 * Times are epoch milliseconds (performance.timeOrigin + now) so the two processes share a clock.
 */
import { DemoUpstream, type UpstreamMode } from '../../src/demo/demo-upstreams.ts';

export type HostCommand =
  | { readonly op: 'mode'; readonly host: number; readonly mode: UpstreamMode; readonly slowMs?: number; readonly flakyRatio?: number }
  | { readonly op: 'reset' }
  | { readonly op: 'heal' }
  | { readonly op: 'hits' }
  | { readonly op: 'stop' };

export type HostReply =
  | { readonly op: 'ready'; readonly ports: readonly number[] }
  | { readonly op: 'done'; readonly id: number }
  | { readonly op: 'hits'; readonly id: number; readonly hits: readonly (readonly number[])[] };

const hosts = await Promise.all([0, 1, 2].map(i => new DemoUpstream(`h${i}`).start()));
const hits: number[][] = hosts.map(() => []);
const epoch = (at: number): number => performance.timeOrigin + at;
hosts.forEach((h, i) => {
  h.onHit = at => hits[i]!.push(epoch(at));
});

const send = (m: HostReply): void => {
  process.send?.(m);
};

process.on('message', (raw: HostCommand & { id: number }) => {
  void (async () => {
    switch (raw.op) {
      case 'mode': {
        const h = hosts[raw.host]!;
        if (raw.slowMs !== undefined) h.slowMs = raw.slowMs;
        if (raw.flakyRatio !== undefined) h.flakyRatio = raw.flakyRatio;
        await h.setMode(raw.mode);
        break;
      }
      case 'reset':
        for (const h of hosts) await h.setMode('healthy');
        for (const list of hits) list.length = 0;
        break;
      case 'heal':
        await Promise.all(hosts.map(h => h.setMode('healthy')));
        break;
      case 'hits':
        send({ op: 'hits', id: raw.id, hits });
        return;
      case 'stop':
        await Promise.all(hosts.map(h => h.stop()));
        send({ op: 'done', id: raw.id });
        process.exit(0);
    }
    send({ op: 'done', id: raw.id });
  })();
});
process.on('disconnect', () => process.exit(0));
send({ op: 'ready', ports: hosts.map(h => h.address.port) });
