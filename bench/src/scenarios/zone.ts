/**
 * Scenario 4: zone snapshots. P players in one zone each send `character:move` at H Hz
 * (phases spread over the period). Tavern batches them into one `zone:snapshot` per zone
 * per tick; the raw server broadcasts every move to the zone at once (`character:moved`).
 *
 * - server CPU per delivered position = server utime+stime in the window / positions the
 *   players received in it. Tavern's positions are counted as snapshots received × the mean
 *   number of entries per snapshot (parsed by every `probeEvery`-th player); the raw
 *   server's are its `character:moved` events.
 */
import { tallyTotal, type ClientSpec } from '../load/commands.js';
import { collectStats, resetAll, Worker } from '../load/workers.js';
import { meterWindow } from '../processes/proc-stats.js';
import type { TargetKind } from '../processes/servers.js';
import { goals, pairedFigure, pairRuns, type PairedRun, type ScenarioResult } from '../results.js';
import { assertAlive, describeErrors, fitConnections, notRun, requireConnected, round, SECRET, SkipScenario, sleep, startTarget, type SuiteContext } from './common.js';

export interface ZoneRun {
  target: TargetKind;
  repeat: number;
  players: number;
  movesPerSec: number;
  positionsPerSec: number;
  cpuMs: number;
  serverCoreShare: number;
  cpuUsPerPosition: number;
  meanEntriesPerSnapshot: number | null;
  /** Moves the server refused (`character:correction`) in the window. */
  corrections: number;
  loadCoreShare: number;
  errors: string;
}

async function zoneOnce(ctx: SuiteContext, target: TargetKind, repeat: number): Promise<ZoneRun> {
  const { zone, requestTimeoutMs } = ctx.options;
  const tag = `z${repeat}`;
  // Workers boot while the server starts; disposal runs in reverse, so the server stops first.
  await using setup = Worker.start('setup', ctx.layout.load);
  await using players = Worker.start('players', ctx.layout.load);
  await using server = await startTarget(ctx, target);
  requireConnected(
    `${server.label} probe`,
    await setup.call('connect', {
      clients: [{ userId: `${tag}-probe`, cid: `${tag}-probe`, url: server.url }],
      secret: SECRET,
      concurrency: 1,
      timeoutMs: requestTimeoutMs,
    }),
    1,
  );
  const probe = await setup.call('requestAll', {
    event: 'zone:enter',
    payload: { kind: 'same', value: { zoneId: zone.zoneId } },
    concurrency: 1,
    timeoutMs: requestTimeoutMs,
  });
  if (probe.ok !== 1) {
    if (probe.errors.counts['UNAVAILABLE']) {
      throw new SkipScenario(`${server.label} answers zone:enter with UNAVAILABLE (${probe.errors.samples[0] ?? ''}): the world feature is not in this build`);
    }
    throw new Error(`${server.label}: zone:enter ${zone.zoneId} failed: ${describeErrors(probe.errors)} (choose a configured zone with --zone)`);
  }
  await setup.call('closeAll', {});

  const playerCount = fitConnections(ctx, zone.players, 'zone');
  const specs: ClientSpec[] = Array.from({ length: playerCount }, (_, index) => ({
    userId: `${tag}-p${index}`,
    cid: `${tag}-c${index}`,
    url: server.url,
    probe: index % zone.probeEvery === 0,
  }));
  requireConnected(
    `${server.label} players`,
    await players.call('connect', { clients: specs, secret: SECRET, concurrency: 100, timeoutMs: requestTimeoutMs }),
    specs.length,
  );
  const entered = await players.call('requestAll', {
    event: 'zone:enter',
    payload: { kind: 'same', value: { zoneId: zone.zoneId } },
    concurrency: 20,
    timeoutMs: requestTimeoutMs,
    keepZone: true,
  });
  if (entered.ok !== specs.length) throw new Error(`${server.label}: ${entered.ok}/${specs.length} players entered the zone: ${describeErrors(entered.errors)}`);

  const moving = players.call('move', { hz: zone.hz, durationMs: zone.warmupMs + zone.durationMs + 200 });
  await sleep(zone.warmupMs);
  await resetAll([players]);
  const cpu = await meterWindow(server.pid, 0, zone.durationMs);
  const stats = await collectStats([players]);
  const moved = await moving;
  assertAlive(server);

  const meanEntries = stats.probeSnapshots > 0 ? stats.probePositions / stats.probeSnapshots : null;
  const positions = target === 'tavern' ? stats.snapshots * (meanEntries ?? 0) : stats.moved;
  const seconds = zone.durationMs / 1000;
  return {
    target,
    repeat,
    players: playerCount,
    movesPerSec: round(moved.moves / ((zone.warmupMs + zone.durationMs + 200) / 1000), 0),
    positionsPerSec: round(positions / seconds, 0),
    cpuMs: round(cpu.cpuMs, 0),
    serverCoreShare: round(cpu.coreShare),
    cpuUsPerPosition: positions > 0 ? round((cpu.cpuMs * 1000) / positions, 4) : Number.NaN,
    meanEntriesPerSnapshot: meanEntries === null ? null : round(meanEntries, 1),
    corrections: stats.corrections,
    loadCoreShare: round(stats.maxWorkerCoreShare),
    errors: tallyTotal(stats.errors) ? describeErrors(stats.errors) : 'none',
  };
}

export async function runZone(ctx: SuiteContext): Promise<ScenarioResult> {
  const id = 'zone';
  const title = '4. Zone snapshots';
  const runs: ZoneRun[] = [];
  const { zone } = ctx.options;
  try {
    for (let repeat = 0; repeat < ctx.options.repeats; repeat++) {
      for (const target of ctx.targets) {
        ctx.log(`  zone: ${zone.players} players at ${zone.hz} Hz, ${target} (run ${repeat + 1}/${ctx.options.repeats})`);
        const run = await zoneOnce(ctx, target, repeat);
        ctx.log(
          `    ${run.positionsPerSec} positions/s delivered, server ${Math.round(run.serverCoreShare * 100)}% of a core, ${run.cpuUsPerPosition} µs CPU per position, load ${Math.round(run.loadCoreShare * 100)}%, ${run.corrections} corrections, errors ${run.errors}`,
        );
        runs.push(run);
      }
    }
  } catch (error) {
    const result = notRun(id, title, error);
    result.runs = runs;
    return result;
  }
  const tavern = runs.filter((run) => run.target === 'tavern');
  const raw = runs.filter((run) => run.target === 'raw');
  const pairs = (pick: (run: ZoneRun) => number): PairedRun[] => pairRuns(tavern, raw, pick);
  const figures = [
    pairedFigure(`server CPU per delivered position (${zone.players} players, ${zone.hz} Hz)`, 'µs', pairs((run) => run.cpuUsPerPosition), goals.zoneCpu, {
      baseline: 'raw Socket.IO, per-move broadcast',
    }),
    pairedFigure('positions delivered per second', '/s', pairs((run) => run.positionsPerSec), null, { baseline: 'raw Socket.IO, per-move broadcast' }),
  ];
  const notes = ['raw Socket.IO broadcasts every move (volatile) to the zone; at this size it is expected to saturate its core'];
  const loadBound = runs.filter((run) => run.loadCoreShare > 0.9);
  if (loadBound.length) notes.push(`the load generator used over 90% of its core in ${loadBound.length} run(s): deliveries may be capped by the client`);
  return { id, title, status: 'ok', figures, notes, runs };
}
