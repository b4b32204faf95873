/** `npm run demo-upstreams`: only the switchable demo upstreams (ports 9101-9103, 9201; control on 9100). */
import { createControlServer, DemoUpstream } from './demo-upstreams.ts';

const ups = [new DemoUpstream('catalog-1', 9101), new DemoUpstream('catalog-2', 9102), new DemoUpstream('catalog-3', 9103), new DemoUpstream('fallback', 9201)];
await Promise.all(ups.map(u => u.start()));
createControlServer(ups).listen(9100, '127.0.0.1');
process.stdout.write('demo upstreams on 127.0.0.1:9101-9103 and :9201; switch modes with: curl -X POST http://127.0.0.1:9100/<name>/<healthy|503|slow|hang|refuse|reset|partial>\n');
