/**
 * Scenario 1: idle authenticated connections. For each size, a fresh server takes a small
 * warm-up batch, then N handshakes as fast as it answers them (a bounded number in flight);
 * RSS (VmRSS) is read before and after, once it has settled.
 *
 * - RSS per 1,000 connections = (RSS after − RSS before) / N × 1,000
 * - handshakes/s = N / time from the first WebSocket open to the last `session:ready`
 * - server CPU per handshake: then `paced.count` more handshakes started at `paced.perSec`
 *   (open loop, the N still open), the server's CPU time from the first start to the last
 *   `session:ready` / the handshakes. Like the ack path's paced figure, it compares the two
 *   servers at the same offered load, which a closed loop does not.
 */
import type { ClientSpec } from '../load/commands.js';
import { tallyTotal } from '../load/commands.js';
import { Worker } from '../load/workers.js';
import { connectionBudget } from '../machine.js';
import { cpuMeter } from '../processes/proc-stats.js';
import type { ServerHandle, TargetKind } from '../processes/servers.js';
import { goals, pairedFigure, pairRuns, type PairedRun, type ScenarioResult } from '../results.js';
import { assertAlive, describeErrors, requireConnected, round, SECRET, sleep, startTarget, type SuiteContext } from './common.js';

const MB = 1024 * 1024;

export interface IdleRun {
  target: TargetKind;
  size: number;
  repeat: number;
  connected: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  rssPer1kMb: number;
  handshakesPerSec: number;
  /** Server CPU µs per handshake at `idle.paced.perSec`; NaN when none connected. */
  pacedCpuUsPerHandshake: number;
  serverCoreShare: number;
  loadCoreShare: number;
  errors: string;
}

/** Reads RSS until two readings `intervalMs` apart agree within 0.5% (at most 10 readings). */
async function settledRss(server: ServerHandle, intervalMs: number): Promise<number> {
  let last = server.rss();
  for (let attempt = 0; attempt < 10; attempt++) {
    await sleep(intervalMs);
    const now = server.rss();
    if (Math.abs(now - last) / last < 0.005) return now;
    last = now;
  }
  return last;
}

async function measure(ctx: SuiteContext, target: TargetKind, size: number, repeat: number): Promise<IdleRun> {
  const { idle, requestTimeoutMs } = ctx.options;
  // The worker boots while the server starts; disposal runs in reverse, so the server stops first.
  await using worker = Worker.start(`idle-${target}`, ctx.layout.load);
  await using server = await startTarget(ctx, target);
  const spec = (prefix: string, index: number): ClientSpec => ({ userId: `${prefix}${index}`, url: server.url });

  const warm = await worker.call('connect', {
    clients: Array.from({ length: idle.warmup }, (_, index) => spec(`w${repeat}-`, index)),
    secret: SECRET,
    concurrency: idle.concurrency,
    timeoutMs: requestTimeoutMs,
  });
  requireConnected(`${server.label} warm-up`, warm, idle.warmup);
  const before = await settledRss(server, idle.settleMs);

  await worker.call('reset', {});
  const cpu = cpuMeter(server.pid);
  const result = await worker.call('connect', {
    clients: Array.from({ length: size }, (_, index) => spec(`u${repeat}-`, index)),
    secret: SECRET,
    concurrency: idle.concurrency,
    timeoutMs: requestTimeoutMs,
  });
  const serverCpu = cpu.stop();
  const load = await worker.call('stats', {});
  assertAlive(server);
  requireConnected(`${server.label} ${size} connections`, result, size);
  const after = await settledRss(server, idle.settleMs);
  const stats = await worker.call('stats', {});
  if (stats.openClients !== size + idle.warmup || tallyTotal(stats.errors) > 0) {
    throw new Error(`${server.label}: ${stats.openClients}/${size + idle.warmup} connections still open; errors: ${describeErrors(stats.errors)}`);
  }

  const pacedCpu = cpuMeter(server.pid);
  const paced = await worker.call('connect', {
    clients: Array.from({ length: idle.paced.count }, (_, index) => spec(`p${repeat}-`, index)),
    secret: SECRET,
    concurrency: idle.concurrency,
    timeoutMs: requestTimeoutMs,
    ratePerSec: idle.paced.perSec,
  });
  const pacedServer = pacedCpu.stop();
  assertAlive(server);
  requireConnected(`${server.label} ${idle.paced.count} paced handshakes`, paced, idle.paced.count);
  return {
    target,
    size,
    repeat,
    connected: result.connected,
    rssBeforeMb: round(before / MB),
    rssAfterMb: round(after / MB),
    rssPer1kMb: round(((after - before) / result.connected) * 1000 / MB, 3),
    handshakesPerSec: round((result.connected / result.elapsedMs) * 1000, 1),
    pacedCpuUsPerHandshake: paced.connected > 0 ? round((pacedServer.cpuMs * 1000) / paced.connected, 1) : Number.NaN,
    serverCoreShare: round(serverCpu.coreShare),
    loadCoreShare: round(load.wallMs > 0 ? load.cpuMs / load.wallMs : Number.NaN),
    errors: describeErrors(result.errors),
  };
}

export async function runIdle(ctx: SuiteContext): Promise<ScenarioResult> {
  const budget = connectionBudget(ctx.machine);
  const notes: string[] = [];
  const sizes = ctx.options.idle.sizes.map((size) => {
    const extra = ctx.options.idle.warmup + ctx.options.idle.paced.count;
    if (size + extra <= budget) return size;
    const scaled = Math.max(100, budget - extra);
    const warning = `idle: ulimit -n is ${ctx.machine.openFiles}; ${size} connections scaled down to ${scaled}`;
    ctx.warn(warning);
    notes.push(warning);
    return scaled;
  });

  const runs: IdleRun[] = [];
  const figures = [];
  for (const size of sizes) {
    for (let repeat = 0; repeat < ctx.options.repeats; repeat++) {
      for (const target of ctx.targets) {
        ctx.log(`  idle ${size} connections, ${target} (run ${repeat + 1}/${ctx.options.repeats})`);
        const run = await measure(ctx, target, size, repeat);
        ctx.log(
          `    ${run.rssPer1kMb} MB per 1,000 connections (${run.rssBeforeMb} -> ${run.rssAfterMb} MB), ${run.handshakesPerSec} handshakes/s, server ${Math.round(run.serverCoreShare * 100)}% of a core, load ${Math.round(run.loadCoreShare * 100)}%; paced ${run.pacedCpuUsPerHandshake} µs server CPU per handshake`,
        );
        runs.push(run);
      }
    }
    const pairs = (pick: (run: IdleRun) => number): PairedRun[] => {
      const tavern = runs.filter((run) => run.size === size && run.target === 'tavern');
      const raw = runs.filter((run) => run.size === size && run.target === 'raw');
      return pairRuns(tavern, raw, pick);
    };
    figures.push(pairedFigure(`RSS per 1,000 idle connections (${size.toLocaleString('en')})`, 'MB', pairs((run) => run.rssPer1kMb), goals.memory));
    figures.push(pairedFigure(`handshakes per second (${size.toLocaleString('en')})`, '/s', pairs((run) => run.handshakesPerSec), goals.handshakes));
    const rate = ctx.options.idle.paced.perSec.toLocaleString('en');
    figures.push(pairedFigure(`server CPU per handshake at ${rate}/s (${size.toLocaleString('en')} open)`, 'µs', pairs((run) => run.pacedCpuUsPerHandshake), null));
  }
  notes.push(
    `server CPU per handshake: ${ctx.options.idle.paced.count.toLocaleString('en')} more handshakes started at a fixed ${ctx.options.idle.paced.perSec.toLocaleString('en')}/s (open loop) once the others are open, the server's CPU time over them / the handshakes`,
  );
  const loadBound = runs.filter((run) => run.loadCoreShare > 0.9);
  if (loadBound.length > 0) {
    notes.push(`the load generator used over 90% of its core in ${loadBound.length} run(s): handshakes/s may be the client's limit there`);
  }
  return { id: 'idle', title: '1. Idle authenticated connections', status: 'ok', figures, notes, runs };
}
