/**
 * Where a proxy's CPU time and allocations go, from V8's own profiles: each sample is charged to
 * the code it was taken in (self time), grouped by who wrote that code — Fastify, reply-from /
 * @fastify/http-proxy, undici, Brownout (by module area), Node's core, V8's garbage collector.
 */
import type { CpuProfile, HeapNode, HeapProfile } from './inspector-session.ts';

export const CATEGORIES = ['fastify', 'reply-from', 'undici', 'brownout', 'other deps', 'node core', 'native', 'gc'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Which code a frame belongs to; undefined for idle time (not CPU spent on requests). */
export function categoryOf(url: string, functionName: string): Category | undefined {
  if (url === '') {
    if (functionName === '(idle)') return undefined;
    if (functionName === '(garbage collector)') return 'gc';
    return 'native'; // (program): V8 and libuv outside JavaScript, system calls, the native parts of http/http2
  }
  if (url.startsWith('node:') || !url.includes('/')) return 'node core';
  if (url.includes('/node_modules/undici/')) return 'undici';
  if (url.includes('/@fastify/reply-from/') || url.includes('/@fastify/http-proxy/')) return 'reply-from';
  if (/\/node_modules\/(fastify|find-my-way|avvio|light-my-request|fast-json-stringify|@fastify\/(error|ajv-compiler|fast-json-stringify-compiler|proxy-addr|forwarded))\//.test(url)) return 'fastify';
  if (/\/(apps\/gateway|packages\/(core|control-plane))\/dist\//.test(url)) return 'brownout';
  return 'other deps';
}

/** Brownout's part of a frame: its package and module area, e.g. `gateway/proxy`, `core/outlier`. */
export function brownoutArea(url: string): string {
  const m = /\/(?:apps\/(gateway)|packages\/(core|control-plane))\/dist\/(.+)$/.exec(url);
  if (!m) return 'other';
  const pkg = m[1] ?? m[2]!;
  const rest = m[3]!.split('/');
  return `${pkg}/${rest.length > 1 ? rest[0]! : rest[0]!.replace(/\.js$/, '')}`;
}

export interface CpuCost {
  /** Microseconds of CPU per category over the profile. */
  readonly byCategory: Record<Category, number>;
  /** Brownout's microseconds by module area. */
  readonly byArea: Record<string, number>;
  /** Self microseconds per profile node. */
  readonly selfUs: Map<number, number>;
}

export function cpuCost(p: CpuProfile): CpuCost {
  const frame = new Map(p.nodes.map(n => [n.id, n.callFrame]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time from the previous sample to sample i: charged to sample i's node.
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const byCategory = Object.fromEntries(CATEGORIES.map(c => [c, 0])) as Record<Category, number>;
  const byArea: Record<string, number> = {};
  for (const [id, us] of selfUs) {
    const f = frame.get(id)!;
    const c = categoryOf(f.url, f.functionName);
    if (c === undefined) continue;
    byCategory[c] += us;
    if (c === 'brownout') {
      const a = brownoutArea(f.url);
      byArea[a] = (byArea[a] ?? 0) + us;
    }
  }
  return { byCategory, byArea, selfUs };
}

export interface AllocationCost {
  /** Estimated bytes allocated per category (samples × sampling interval, by the allocating frame). */
  readonly byCategory: Record<Category, number>;
  readonly byArea: Record<string, number>;
  readonly total: number;
}

/**
 * Bytes allocated, estimated from a sampling heap profile taken with objects collected by GC kept
 * in: V8 takes a sample about every `interval` bytes allocated, so each sample stands for that many.
 */
export function allocationCost(p: HeapProfile, interval: number): AllocationCost {
  const frame = new Map<number, HeapNode['callFrame']>();
  const walk = (n: HeapNode): void => {
    frame.set(n.id, n.callFrame);
    for (const c of n.children) walk(c);
  };
  walk(p.head);
  const byCategory = Object.fromEntries(CATEGORIES.map(c => [c, 0])) as Record<Category, number>;
  const byArea: Record<string, number> = {};
  for (const s of p.samples) {
    const f = frame.get(s.nodeId);
    const c = f ? (categoryOf(f.url, f.functionName) ?? 'native') : 'native';
    byCategory[c] += interval;
    if (c === 'brownout') {
      const a = brownoutArea(f!.url);
      byArea[a] = (byArea[a] ?? 0) + interval;
    }
  }
  return { byCategory, byArea, total: p.samples.length * interval };
}
