/**
 * Runs the chosen scenarios in order and writes latest.md, latest.json and latency.svg.
 * A scenario that throws is recorded as failed and the suite goes on; one whose event the
 * server answers with UNAVAILABLE is recorded as skipped, with the reason.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backgroundLoad, coreLayout, describeMachine, type Machine } from './machine.js';
import type { ScenarioId, SuiteOptions } from './options.js';
import { tavernServerArgs } from './processes/spawn.js';
import { renderMarkdown } from './report/markdown.js';
import { renderChart } from './report/svg.js';
import type { ScenarioResult, SuiteResult } from './results.js';
import { runAck } from './scenarios/ack.js';
import { runCluster } from './scenarios/cluster.js';
import { notRun, type SuiteContext } from './scenarios/common.js';
import { runFanout } from './scenarios/fanout.js';
import { runIdle } from './scenarios/idle.js';
import { runRooms } from './scenarios/rooms.js';
import { runSoak } from './scenarios/soak.js';
import { runSeeds } from './scenarios/seeds.js';
import { runZone } from './scenarios/zone.js';

const RUNNERS: Record<ScenarioId, { title: string; run: (ctx: SuiteContext) => Promise<ScenarioResult> }> = {
  idle: { title: '1. Idle authenticated connections', run: runIdle },
  fanout: { title: '2. Room fan-out', run: runFanout },
  ack: { title: '3. Chat ack path', run: runAck },
  zone: { title: '4. Zone snapshots', run: runZone },
  cluster: { title: '5. One, two and three nodes over Redis and a Redis Cluster', run: runCluster },
  soak: { title: '6. Soak: connection churn and chat', run: runSoak },
  rooms: { title: '7. Game rooms against Colyseus', run: runRooms },
  seeds: { title: '8. Seeds: the mixed chat load', run: runSeeds },
};

/** Share of all cores busy before we start that makes the run noisy enough to say so. */
const BUSY_THRESHOLD = 0.15;

export interface SuiteHooks {
  log(message: string): void;
  warn(message: string): void;
}

export interface SuiteOutput {
  result: SuiteResult;
  markdown: string;
  files: string[];
}

/** `machine` defaults to this process's view; pass it when the caller pinned itself to a core since. */
export async function runSuite(options: SuiteOptions, hooks: SuiteHooks, machine: Machine = describeMachine()): Promise<SuiteOutput> {
  const started = performance.now();
  const layout = coreLayout(machine);
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    hooks.warn(message);
  };
  if (!layout.server) warn(`processes are not pinned to cores (${layout.note}): server and load generators compete for CPU`);
  const tavernBuilt = tavernServerArgs(options.allowSource).built;
  if (!tavernBuilt) warn('apps/server is not built: Tavern runs from source through tsx (figures are not representative)');

  if (options.profileDir) warn(`Tavern runs with --cpu-prof (profiles in ${options.profileDir}): its figures are lower than without`);
  const ctx: SuiteContext = { options, machine, layout, targets: options.targets, log: hooks.log, warn, chart: [] };
  hooks.log(`machine: ${machine.nproc} cores, ${machine.cpuModel}, Node ${machine.node}, ulimit -n ${machine.openFiles}; ${layout.note}`);

  const busyWarning = (share: number, when: string) => {
    if (share > BUSY_THRESHOLD) {
      warn(`${when}, other processes used ${Math.round(share * 100)}% of all cores: figures will be noisy (run on a quiet machine)`);
    }
  };
  busyWarning(await backgroundLoad(options.mode === 'smoke' ? 200 : 1_000), 'before the run');

  const scenarios: ScenarioResult[] = [];
  for (const id of options.scenarios) {
    const runner = RUNNERS[id];
    hooks.log(`${runner.title}`);
    if (options.mode !== 'smoke') busyWarning(await backgroundLoad(500), `before ${runner.title}`);
    let result: ScenarioResult;
    try {
      result = await runner.run(ctx);
    } catch (error) {
      result = notRun(id, runner.title, error);
    }
    if (result.status === 'skipped') hooks.log(`  skipped: ${result.reason}`);
    if (result.status === 'failed') hooks.warn(`  ${runner.title} failed: ${result.reason}`);
    scenarios.push(result);
  }

  const result: SuiteResult = {
    date: new Date().toISOString(),
    mode: options.mode,
    machine,
    layout,
    tavernBuilt,
    options,
    scenarios,
    chart: ctx.chart,
    warnings,
    durationMs: Math.round(performance.now() - started),
  };
  const chart = renderChart(ctx.chart);
  const markdown = renderMarkdown(result, chart ? 'latency.svg' : null);
  const files: string[] = [];
  if (options.outDir) {
    mkdirSync(options.outDir, { recursive: true });
    const write = (name: string, content: string) => {
      const path = join(options.outDir, name);
      writeFileSync(path, content);
      files.push(path);
    };
    write('latest.json', `${JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`);
    write('latest.md', markdown);
    if (chart) write('latency.svg', chart);
  }
  return { result, markdown, files };
}
