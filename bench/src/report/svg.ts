/**
 * The latency-against-send-rate chart as a hand-written SVG: one panel per channel size,
 * p50 (solid) and p99 (dashed) for Tavern and raw Socket.IO, log-scaled latency, the
 * 100 ms limit drawn across.
 */
import type { ChartSeries } from '../results.js';

const WIDTH = 720;
const PANEL_HEIGHT = 320;
const MARGIN = { left: 64, right: 150, top: 36, bottom: 48 };
const COLORS: Record<string, string> = { Tavern: '#b5532a', 'raw Socket.IO': '#2a6fb5' };

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(max: number, count = 5): number[] {
  if (max <= 0) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= raw) ?? raw;
  const ticks: number[] = [];
  for (let tick = 0; tick <= max + step / 2; tick += step) ticks.push(Math.round(tick * 1000) / 1000);
  return ticks;
}

function panel(series: readonly ChartSeries[], members: number, offsetY: number): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const points = series.flatMap((entry) => entry.points);
  const finite = points.flatMap((point) => [point.p50, point.p99]).filter((value) => Number.isFinite(value) && value > 0);
  const maxRate = Math.max(1, ...points.map((point) => point.sendRate)) * 1.05;
  const minLatency = Math.max(0.01, Math.min(1, ...finite));
  const maxLatency = Math.max(200, ...finite);
  const logMin = Math.floor(Math.log10(minLatency));
  const logMax = Math.ceil(Math.log10(maxLatency));
  const x = (rate: number) => Math.round((MARGIN.left + (rate / maxRate) * plotW) * 10) / 10;
  const y = (latency: number) =>
    Math.round((offsetY + MARGIN.top + plotH - ((Math.log10(Math.max(latency, 10 ** logMin)) - logMin) / (logMax - logMin)) * plotH) * 10) / 10;
  const out: string[] = [];
  out.push(`<text x="${MARGIN.left}" y="${offsetY + 22}" font-size="15" font-weight="bold">Room fan-out, ${members.toLocaleString('en')} members: latency against send rate</text>`);
  // axes and grid
  for (let power = logMin; power <= logMax; power++) {
    const value = 10 ** power;
    const gy = y(value);
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${gy}" y2="${gy}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${gy + 4}" font-size="11" text-anchor="end">${value >= 1 ? value : value.toFixed(-power)} ms</text>`);
  }
  for (const tick of niceTicks(maxRate).filter((value) => value <= maxRate)) {
    const gx = x(tick);
    out.push(`<line x1="${gx}" x2="${gx}" y1="${offsetY + MARGIN.top}" y2="${offsetY + MARGIN.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${gx}" y="${offsetY + MARGIN.top + plotH + 16}" font-size="11" text-anchor="middle">${tick}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${offsetY + MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${offsetY + PANEL_HEIGHT - 10}" font-size="12" text-anchor="middle">chat:send rate of the one sender (msgs/s); deliveries/s = rate × ${(members - 1).toLocaleString('en')}</text>`);
  const limitY = y(100);
  out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${limitY}" y2="${limitY}" stroke="#c00" stroke-dasharray="2 3"/>`);
  out.push(`<text x="${MARGIN.left + plotW - 4}" y="${limitY - 4}" font-size="10" fill="#c00" text-anchor="end">100 ms</text>`);
  // lines
  let legendY = offsetY + MARGIN.top + 8;
  for (const entry of series) {
    const color = COLORS[entry.label] ?? '#444';
    for (const [key, dash] of [['p50', ''], ['p99', ' stroke-dasharray="6 4"']] as const) {
      const valid = entry.points.filter((point) => Number.isFinite(point[key]));
      if (valid.length === 0) continue;
      const path = valid.map((point, index) => `${index === 0 ? 'M' : 'L'}${x(point.sendRate).toFixed(1)},${y(point[key]).toFixed(1)}`).join(' ');
      out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
      for (const point of valid) out.push(`<circle cx="${x(point.sendRate).toFixed(1)}" cy="${y(point[key]).toFixed(1)}" r="2.5" fill="${color}"/>`);
      const legendX = MARGIN.left + plotW + 12;
      out.push(`<line x1="${legendX}" x2="${legendX + 24}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"${dash}/>`);
      out.push(`<text x="${legendX + 30}" y="${legendY + 4}" font-size="11">${esc(entry.label)} ${key}</text>`);
      legendY += 18;
    }
  }
  return out.join('\n');
}

/** The chart, or null when there is nothing to draw. */
export function renderChart(chart: readonly ChartSeries[]): string | null {
  const sizes = [...new Set(chart.map((entry) => entry.members))].sort((a, b) => a - b);
  if (sizes.length === 0 || chart.every((entry) => entry.points.length === 0)) return null;
  const height = PANEL_HEIGHT * sizes.length;
  const panels = sizes.map((members, index) => panel(chart.filter((entry) => entry.members === members), members, index * PANEL_HEIGHT));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
