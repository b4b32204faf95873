/**
 * `npm run demo-upstreams`: only the switchable demo upstreams (ports 9101-9103, 9201; control on
 * 9100), on 127.0.0.1 — or on BROWNOUT_DEMO_HOST (e.g. 0.0.0.0 inside a container, where the
 * gateway reaches them over the container network).
 */
import { createControlServer, DemoUpstream } from './demo-upstreams.ts';

const host = process.env.BROWNOUT_DEMO_HOST ?? '127.0.0.1';
const ups = [new DemoUpstream('catalog-1', 9101, host), new DemoUpstream('catalog-2', 9102, host), new DemoUpstream('catalog-3', 9103, host), new DemoUpstream('fallback', 9201, host)];
await Promise.all(ups.map(u => u.start()));
createControlServer(ups).listen(9100, host);
process.stdout.write(`demo upstreams on ${host}:9101-9103 and :9201; switch modes with: curl -X POST http://${host}:9100/<name>/<healthy|503|slow|hang|refuse|reset|partial>\n`);
