'use client';
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData } from '../history.ts';

interface ChartEvent {
  readonly at: number;
  readonly action: string;
  readonly label: string;
}

/** Colour-blind-safe palette (Okabe–Ito), cycled over series; each series is also named in the legend. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];
const EVENT_COLOUR: Record<string, string> = { host_ejected: '#D55E00', host_unejected: '#009E73', switch_changed: '#0072B2', auto_degradation: '#E69F00' };

/** Draws the timeline's events as dashed vertical lines on the time axis. */
function eventMarkers(events: readonly ChartEvent[]): uPlot.Plugin {
  return {
    hooks: {
      draw: u => {
        const ctx = u.ctx;
        ctx.save();
        ctx.setLineDash([4, 4]);
        ctx.lineWidth = 1;
        for (const e of events) {
          const x = u.valToPos(e.at, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = EVENT_COLOUR[e.action] ?? '#777';
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
        }
        ctx.restore();
      },
    },
  };
}

function Chart({ title, times, series, events, testId }: { title: string; times: number[]; series: { label: string; values: (number | null)[] }[]; events: readonly ChartEvent[]; testId: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = el.current;
    if (!target) return;
    const opts: uPlot.Options = {
      width: Math.max(target.clientWidth, 400),
      height: 180,
      title,
      cursor: { drag: { x: true, y: false } },
      // Every figure here is ≥ 0: the axis starts at 0 (and a flat zero line is not scaled to 100).
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length] ?? '#000', width: 1.5, spanGaps: false, dash: i >= PALETTE.length ? [6, 3] : [] }))],
      plugins: [eventMarkers(events)],
    };
    const plot = new uPlot(opts, [times, ...series.map(s => s.values)] as uPlot.AlignedData, target);
    target.dataset.points = String(times.length);
    return () => {
      plot.destroy();
    };
  }, [title, times, series, events]);
  return <div ref={el} className="chart" data-testid={testId} />;
}

/**
 * The fleet's history as uPlot charts (canvas; fast with 50 routes × an hour of samples). Routes
 * are chosen in the legend list: the busiest eight by default.
 */
export function FleetCharts({ data, events }: { data: ChartData; events: readonly ChartEvent[] }) {
  const busiest = useMemo(
    () =>
      [...data.routes]
        .map(r => ({ name: r.name, load: r.rps.reduce<number>((a, b) => a + (b ?? 0), 0) }))
        .sort((a, b) => b.load - a.load)
        .slice(0, 8)
        .map(r => r.name),
    [data],
  );
  const [chosen, setChosen] = useState<string[]>(busiest);
  const routes = data.routes.filter(r => chosen.includes(r.name));
  const per = (k: 'rps' | 'errorRatio' | 'degradedRate' | 'p99Ms') => routes.map(r => ({ label: r.name, values: r[k] }));
  if (data.times.length === 0) return <p className="muted">No samples yet: the console samples the fleet every few seconds while it runs.</p>;
  return (
    <div>
      <div className="route-picker">
        {data.routes.map(r => (
          <label key={r.name} className="check">
            <input
              type="checkbox"
              checked={chosen.includes(r.name)}
              onChange={e => {
                setChosen(c => (e.target.checked ? [...c, r.name] : c.filter(n => n !== r.name)));
              }}
            />
            {r.name}
          </label>
        ))}
      </div>
      <p className="small">
        Dashed lines: timeline events (<span style={{ color: EVENT_COLOUR.host_ejected }}>ejection</span>, <span style={{ color: EVENT_COLOUR.host_unejected }}>un-ejection</span>, <span style={{ color: EVENT_COLOUR.switch_changed }}>switch</span>, <span style={{ color: EVENT_COLOUR.auto_degradation }}>automatic</span>). Drag to zoom, double-click to reset.
      </p>
      <div className="charts">
        <Chart testId="chart-rps" title="Requests / s" times={data.times} series={per('rps')} events={events} />
        <Chart testId="chart-errors" title="5xx ratio (0–1)" times={data.times} series={per('errorRatio')} events={events} />
        <Chart testId="chart-degraded" title="Degraded answers / s" times={data.times} series={per('degradedRate')} events={events} />
        <Chart testId="chart-p99" title="p99 latency (ms)" times={data.times} series={per('p99Ms')} events={events} />
        <Chart testId="chart-ejected" title="Ejected hosts per cluster" times={data.times} series={data.clusters.map(c => ({ label: c.name, values: c.ejected }))} events={events} />
      </div>
      <ul className="small">
        {events.map((e, i) => (
          <li key={i}>
            {new Date(e.at * 1000).toISOString().slice(11, 19)} — {e.label}
          </li>
        ))}
      </ul>
    </div>
  );
}
