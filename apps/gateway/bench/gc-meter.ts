// Preloaded into each proxy by the cost budget (node --import, transpiled like bare-proxy.ts):
// sums V8's GC pauses on the main thread as perf_hooks reports them, so GC per request can be read
// outside the profiled windows (under the inspector's profilers GC read 3–4× what it is).
// One entry per GC; nothing per request.
import { PerformanceObserver } from 'node:perf_hooks';

const totals = { ms: 0, count: 0 };
(globalThis as { __brownoutBenchGc?: typeof totals }).__brownoutBenchGc = totals;
new PerformanceObserver(list => {
  for (const e of list.getEntries()) {
    totals.ms += e.duration;
    totals.count++;
  }
}).observe({ entryTypes: ['gc'] });
