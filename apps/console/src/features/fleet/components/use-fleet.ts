'use client';
import { useEffect, useState } from 'react';
import type { FleetView } from '../fleet-view.ts';

/** Polls the fleet view every second (the page stays within 2 s of the gateways without a reload). */
export function useFleet(initial: FleetView): { view: FleetView; fetchedAt: number; pollError: string | null } {
  const [state, setState] = useState({ view: initial, fetchedAt: initial.readAt, pollError: null as string | null });
  useEffect(() => {
    let stopped = false;
    const tick = async (): Promise<void> => {
      try {
        const r = await fetch('/api/fleet', { cache: 'no-store' });
        if (r.status === 401) {
          window.location.href = '/login';
          return;
        }
        if (!r.ok) throw new Error(`console answered ${r.status}`);
        const view = (await r.json()) as FleetView;
        if (!stopped) setState({ view, fetchedAt: Date.now(), pollError: null });
      } catch (e) {
        if (!stopped) setState(s => ({ ...s, pollError: e instanceof Error ? e.message : String(e) }));
      }
    };
    const t = setInterval(() => void tick(), 1_000);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, []);
  return state;
}

/** Re-renders every second so ages ("3 s ago") stay true between polls. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => {
      setNow(Date.now());
    }, 1_000);
    return () => {
      clearInterval(t);
    };
  }, []);
  return now;
}

export function ago(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1_000) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1_000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}

export function duration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1_000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
