/** What a run produces: figures per scenario (Tavern, its baseline, the ratio, the goal). */
import type { CoreLayout, Machine } from './machine.js';
import type { SuiteOptions } from './options.js';

export interface Goal {
  /** As printed: `≤ 1.25×`, `≥ 0.8×`, `≤ 10 ms`. */
  text: string;
  /** Compared with the ratio, or with the value itself when `on` is `value`. */
  on: 'ratio' | 'value';
  op: '<=' | '>=';
  limit: number;
}

export interface Figure {
  name: string;
  unit: string;
  /** Tavern's figure (median over repeats). */
  value: number | null;
  /** The baseline's figure (raw Socket.IO, one node for the two-node scenario, Colyseus for game rooms). */
  baseline: number | null;
  baselineLabel: string;
  valueLabel: string;
  /** Median of the per-repeat ratios value/baseline (each pair measured in the same run). */
  ratio: number | null;
  goal: Goal | null;
  met: boolean | null;
}

export type ScenarioStatus = 'ok' | 'skipped' | 'failed';

export interface ScenarioResult {
  id: string;
  title: string;
  status: ScenarioStatus;
  reason?: string;
  figures: Figure[];
  notes: string[];
  /** Tables of their own after the figures (the scale-out table of scenario 5), already formatted. */
  tables?: ReportTable[];
  /** Every measured run, for latest.json. */
  runs: unknown[];
}

export interface ReportTable {
  title: string;
  header: string[];
  rows: string[][];
}

/** One point of the latency-against-send-rate chart. */
export interface ChartPoint {
  deliveredPerSec: number;
  sendRate: number;
  p50: number;
  p99: number;
}

export interface ChartSeries {
  label: string;
  members: number;
  points: ChartPoint[];
}

export interface SuiteResult {
  date: string;
  mode: string;
  machine: Machine;
  layout: CoreLayout;
  tavernBuilt: boolean;
  options: SuiteOptions;
  scenarios: ScenarioResult[];
  chart: ChartSeries[];
  warnings: string[];
  durationMs: number;
}

export function median(values: readonly number[]): number | null {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return null;
  const middle = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? (finite[middle] as number) : ((finite[middle - 1] as number) + (finite[middle] as number)) / 2;
}

export function checkGoal(goal: Goal | null, value: number | null, ratio: number | null): boolean | null {
  if (!goal) return null;
  const subject = goal.on === 'ratio' ? ratio : value;
  if (subject === null || !Number.isFinite(subject)) return null;
  return goal.op === '<=' ? subject <= goal.limit : subject >= goal.limit;
}

export interface PairedRun {
  value: number;
  baseline: number;
}

/**
 * Pairs run i of one side with run i of the other (they ran back to back). A side that did
 * not run (`--targets`) gives NaN, which the medians skip.
 */
export function pairRuns<T>(values: readonly T[], baselines: readonly T[], pick: (run: T) => number): PairedRun[] {
  const length = Math.max(values.length, baselines.length);
  return Array.from({ length }, (_, index) => {
    const value = values[index];
    const baseline = baselines[index];
    return { value: value === undefined ? Number.NaN : pick(value), baseline: baseline === undefined ? Number.NaN : pick(baseline) };
  });
}

/** A figure from paired runs (A B A B): medians of each side and the median of the ratios. */
export function pairedFigure(
  name: string,
  unit: string,
  runs: readonly PairedRun[],
  goal: Goal | null,
  labels: { value?: string; baseline?: string } = {},
): Figure {
  const value = median(runs.map((run) => run.value));
  const baseline = median(runs.map((run) => run.baseline));
  const ratio = median(runs.filter((run) => run.baseline !== 0).map((run) => run.value / run.baseline));
  // median() skips the NaN of a side that did not run.
  return {
    name,
    unit,
    value,
    baseline,
    baselineLabel: labels.baseline ?? 'raw Socket.IO',
    valueLabel: labels.value ?? 'Tavern',
    ratio,
    goal,
    met: checkGoal(goal, value, ratio),
  };
}

/** A figure with no baseline (for example the two-node extra latency). */
export function singleFigure(name: string, unit: string, values: readonly number[], goal: Goal | null, label = 'Tavern'): Figure {
  const value = median(values);
  return { name, unit, value, baseline: null, baselineLabel: '', valueLabel: label, ratio: null, goal, met: checkGoal(goal, value, null) };
}

export const goals = {
  memory: { text: '≤ 1.25×', on: 'ratio', op: '<=', limit: 1.25 },
  handshakes: { text: '≥ 0.8×', on: 'ratio', op: '>=', limit: 0.8 },
  fanout: { text: '≥ 0.9×', on: 'ratio', op: '>=', limit: 0.9 },
  /** Filling one channel one `chat:join` at a time against raw Socket.IO joining a room (#21). */
  channelJoin: { text: '≤ 1.5×', on: 'ratio', op: '<=', limit: 1.5 },
  ackRate: { text: '≥ 0.8×', on: 'ratio', op: '>=', limit: 0.8 },
  ackP99: { text: '≤ 1.2×', on: 'ratio', op: '<=', limit: 1.2 },
  zoneCpu: { text: '≤ 0.33×', on: 'ratio', op: '<=', limit: 0.33 },
  clusterThroughput: { text: '≥ 1.25×', on: 'ratio', op: '>=', limit: 1.25 },
  clusterExtraP50: { text: '≤ 10 ms', on: 'value', op: '<=', limit: 10 },
  /** Two nodes on their own cores give ≥ 1.5× one node's throughput (#21). */
  clusterCpuPerDelivery: { text: '≤ 1.3×', on: 'ratio', op: '<=', limit: 1.3 },
  /** Game rooms: no worse than Colyseus on server CPU per update, bytes per player and patch latency p99 (#23). */
  roomsNoWorse: { text: '≤ 1×', on: 'ratio', op: '<=', limit: 1 },
} satisfies Record<string, Goal>;
