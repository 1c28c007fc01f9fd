/** latest.md: one table of every figure, then what was skipped or failed and why. */
import type { Figure, SuiteResult } from '../results.js';
import type { SuiteOptions } from '../options.js';

function formatNumber(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : 3;
  const text = value.toLocaleString('en', { maximumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

function ratioText(figure: Figure): string {
  return figure.ratio === null || !Number.isFinite(figure.ratio) ? '–' : `${figure.ratio.toFixed(2)}×`;
}

function metText(figure: Figure): string {
  if (figure.met === null) return figure.goal ? '?' : '';
  return figure.met ? 'yes' : '**no**';
}

const escape = (text: string) => text.replace(/\|/g, '\\|');

export function renderMarkdown(result: SuiteResult, chartFile: string | null): string {
  const { machine, layout } = result;
  const lines: string[] = [];
  lines.push(`# Tavern benchmark: ${result.mode} run`);
  lines.push('');
  lines.push(`- Date: ${result.date} (took ${Math.round(result.durationMs / 1000)} s)`);
  lines.push(`- Machine: ${machine.nproc} cores (\`nproc\`), ${machine.cpuModel}, Node ${machine.node}, ${machine.os}, \`ulimit -n\` ${machine.openFiles}, load average ${machine.loadAverage} at the start`);
  lines.push(`- Pinning: ${layout.note}`);
  lines.push(`- Tavern: ${result.tavernBuilt ? '`apps/server/dist/main.js`' : 'run from source through tsx (no build)'}, NODE_ENV=production`);
  lines.push(`- Sizes: ${sizes(result.options)}`);
  lines.push(`- Each pair of figures comes from the same run, interleaved (Tavern, baseline, Tavern, baseline, …); a figure is the median over the repeats and the ratio is the median of the per-run ratios.`);
  lines.push('');
  lines.push('| scenario | figure | Tavern | baseline | ratio | goal | met |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const scenario of result.scenarios) {
    if (scenario.status !== 'ok') {
      lines.push(`| ${scenario.title} | ${scenario.status} | | | | | |`);
      continue;
    }
    for (const figure of scenario.figures) {
      const baseline = figure.baseline === null ? '–' : `${formatNumber(figure.baseline, figure.unit)} (${figure.baselineLabel})`;
      const value = figure.valueLabel === 'Tavern' ? formatNumber(figure.value, figure.unit) : `${formatNumber(figure.value, figure.unit)} (${figure.valueLabel})`;
      lines.push(`| ${scenario.title} | ${escape(figure.name)} | ${value} | ${baseline} | ${ratioText(figure)} | ${figure.goal?.text ?? ''} | ${metText(figure)} |`);
    }
  }
  lines.push('');
  for (const scenario of result.scenarios) {
    for (const table of scenario.status === 'ok' ? (scenario.tables ?? []) : []) {
      lines.push(`## ${scenario.title}: ${table.title}`);
      lines.push('');
      lines.push(`| ${table.header.map(escape).join(' | ')} |`);
      lines.push(`|${table.header.map(() => '---').join('|')}|`);
      for (const row of table.rows) lines.push(`| ${row.map(escape).join(' | ')} |`);
      lines.push('');
    }
  }
  const skipped = result.scenarios.filter((scenario) => scenario.status !== 'ok');
  if (skipped.length) {
    lines.push('## Not measured');
    lines.push('');
    for (const scenario of skipped) lines.push(`- **${scenario.title}** ${scenario.status}: ${escape((scenario.reason ?? '').split('\n')[0] ?? '')}`);
    lines.push('');
  }
  const notes = result.scenarios.filter((scenario) => scenario.notes.length);
  if (notes.length || result.warnings.length) {
    lines.push('## Notes');
    lines.push('');
    for (const warning of result.warnings) lines.push(`- ${warning}`);
    for (const scenario of notes) for (const note of scenario.notes) lines.push(`- ${scenario.title}: ${note}`);
    lines.push('');
  }
  if (chartFile) {
    lines.push('## Latency against send rate (room fan-out)');
    lines.push('');
    lines.push(`![p50 and p99 latency against send rate, Tavern and raw Socket.IO](${chartFile})`);
    lines.push('');
  }
  lines.push('Every run, step and sample is in `latest.json`. How each figure is measured: `bench/README.md`.');
  lines.push('');
  return lines.join('\n');
}

/** The sizes of the scenarios this run ran, and any extra Tavern environment. */
function sizes(o: SuiteOptions): string {
  const parts = [`repeats ${o.repeats}`];
  const ran = new Set(o.scenarios);
  if (ran.has('idle')) parts.push(`idle ${o.idle.sizes.join(', ')}`);
  if (ran.has('fanout')) parts.push(`fan-out ${o.fanout.sizes.join(', ')} members, ${o.fanout.stepMs / 1000} s steps`);
  if (ran.has('ack')) parts.push(`ack path ${o.ack.configs.map((c) => `${c.channels}×${c.members}`).join(', ')}`);
  if (ran.has('zone')) parts.push(`zone ${o.zone.players} players at ${o.zone.hz} Hz in \`${o.zone.zoneId}\``);
  if (ran.has('cluster')) {
    const cluster = `a Redis Cluster of ${o.cluster.shape.masters} masters with ${o.cluster.shape.replicas} replica(s) each`;
    const over = o.cluster.redis.map((kind) => (kind === 'single' ? 'one redis-server' : cluster)).join(' and over ');
    parts.push(`1-3 nodes ${o.cluster.members} members over ${over}`);
  }
  if (ran.has('rooms')) parts.push(`game rooms ${o.rooms.configs.map((c) => `${c.rooms}×${c.players}`).join(', ')} at ${o.rooms.inputHz} inputs/s per player`);
  if (ran.has('soak')) {
    parts.push(`soak ${o.soak.clients} clients in ${o.soak.channels} channels, ${o.soak.churnPerSec} reconnects/s, ${o.soak.chatPerSec} msgs/s, ${Math.round(o.soak.warmupMs / 1000)} s warm-up, ${Math.round(o.soak.durationMs / 1000)} s measured`);
  }
  if (ran.has('seeds')) {
    const s = o.seeds;
    parts.push(`seeds ${s.connections} conns in rooms of ${s.roomSize}${s.redis ? ' (Tavern over Redis)' : ''}, ${s.chatPerSec} chat/s, ${Math.round(s.durationMs / 1000)} s measured${s.rampChatPerSec.length ? `, ramp ${s.rampChatPerSec.join('/')} chat/s × ${Math.round(s.rampStepMs / 1000)} s` : ''}`);
  }
  const env = Object.entries(o.tavernEnv);
  if (env.length > 0) parts.push(`Tavern env ${env.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return parts.join('; ');
}
