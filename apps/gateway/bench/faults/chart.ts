/**
 * One SVG per scenario, drawn by the runner from its own results (no hand-made figures): success
 * rate and p99 latency over time, one line per contender, the fault phase shaded. Hand-written:
 * a line chart is a few dozen lines of SVG, and a charting library would be the bench's largest
 * dependency.
 */
import type { SeriesPoint } from './analysis.ts';

const COLOURS = ['#d9480f', '#1c7ed6', '#2b8a3e', '#862e9c', '#e67700', '#495057'];
const W = 760;
const PANEL_H = 170;
const LEFT = 56;
const RIGHT = 150;
const TOP = 34;
const GAP = 46;

export interface ChartLine {
  readonly label: string;
  readonly points: readonly SeriesPoint[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function scenarioChart(title: string, lines: readonly ChartLine[], faultS: [number, number], durationS: number, latencyCapMs = 2_000): string {
  const plotW = W - LEFT - RIGHT;
  const x = (t: number): number => LEFT + (t / durationS) * plotW;
  const panel = (top: number, label: string, value: (p: SeriesPoint) => number, max: number, ticks: number[], unit: string): string => {
    const y = (v: number): number => top + PANEL_H - (Math.min(v, max) / max) * PANEL_H;
    let out = `<rect x="${x(faultS[0])}" y="${top}" width="${x(faultS[1]) - x(faultS[0])}" height="${PANEL_H}" fill="#fff3bf"/>`;
    out += `<text x="${LEFT}" y="${top - 8}" font-size="12" font-weight="bold">${esc(label)}</text>`;
    for (const tk of ticks) {
      out += `<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(tk)}" y2="${y(tk)}" stroke="#dee2e6"/>`;
      out += `<text x="${LEFT - 6}" y="${y(tk) + 4}" font-size="10" text-anchor="end">${tk}${unit}</text>`;
    }
    for (let s = 0; s <= durationS; s += 2) out += `<text x="${x(s)}" y="${top + PANEL_H + 14}" font-size="10" text-anchor="middle">${s}s</text>`;
    lines.forEach((l, i) => {
      const d = l.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(value(p)).toFixed(1)}`).join('');
      out += `<path d="${d}" fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1.6"/>`;
    });
    return out;
  };
  const h = TOP + 2 * PANEL_H + GAP + 30;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif">`;
  svg += `<rect width="${W}" height="${h}" fill="white"/>`;
  svg += `<text x="${LEFT}" y="16" font-size="14" font-weight="bold">${esc(title)} (fault shaded)</text>`;
  svg += panel(TOP + 14, 'success rate (per 250 ms of due time)', p => p.success, 100, [0, 25, 50, 75, 100], '%');
  svg += panel(TOP + 14 + PANEL_H + GAP, `p99 latency, capped at ${latencyCapMs} ms`, p => p.p99, latencyCapMs, [0, latencyCapMs / 4, latencyCapMs / 2, (3 * latencyCapMs) / 4, latencyCapMs], '');
  lines.forEach((l, i) => {
    const ly = TOP + 24 + i * 18;
    svg += `<line x1="${W - RIGHT + 12}" x2="${W - RIGHT + 32}" y1="${ly}" y2="${ly}" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="3"/>`;
    svg += `<text x="${W - RIGHT + 38}" y="${ly + 4}" font-size="11">${esc(l.label)}</text>`;
  });
  return svg + '</svg>\n';
}
