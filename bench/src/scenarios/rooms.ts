/**
 * Scenario 7: authoritative game rooms, Tavern against Colyseus. The same game (`rooms/game.ts`:
 * x/y and a score per player, inputs queued and applied at a 20 Hz tick, changes sent every
 * 50 ms) runs as a Tavern room type (`defineRoom`, JSON Patch sync) and as a Colyseus room
 * (@colyseus/schema), each server in its own process; bots are real clients of each (the
 * Tavern SDK, colyseus.js) sending 10 inputs/s each, R rooms × P players.
 *
 * - server CPU per player update = server utime+stime over the window / inputs the bots saw
 *   applied in it (an input is applied once, at a tick; its bot sees it in its own score);
 * - bytes per player per second = bytes the bots' TCP sockets received in the window /
 *   players / seconds (WebSocket and Socket.IO or Colyseus framing included); the figure is
 *   taken at the nominal input rate (bytes per input applied × the rate), since a starved
 *   load generator sends fewer inputs and so receives fewer changes;
 * - patch latency p99 and max = input send → the first state its bot holds with it applied.
 */
import { tallyTotal } from '../load/commands.js';
import { Histogram } from '../load/histogram.js';
import type { RoomsSystem, RoomsWorkerCommands } from '../load/rooms-commands.js';
import { Worker } from '../load/workers.js';
import { meterWindow } from '../processes/proc-stats.js';
import { startColyseus, startTavern, type TargetKind } from '../processes/servers.js';
import { goals, pairedFigure, pairRuns, type PairedRun, type ScenarioResult } from '../results.js';
import { assertAlive, describeErrors, fitConnections, notRun, round, SECRET, sleep, type SuiteContext } from './common.js';

export interface RoomsRun {
  system: RoomsSystem;
  repeat: number;
  rooms: number;
  playersPerRoom: number;
  joinMs: number;
  inputsSentPerSec: number;
  inputsAppliedPerSec: number;
  /** Inputs sent in the window that no bot saw applied by its end (in flight, or lost). */
  inputsMissing: number;
  cpuMs: number;
  serverCoreShare: number;
  cpuUsPerUpdate: number;
  bytesPerPlayerPerSec: number;
  /** Bytes received by all bots per input applied × the input rate: bytes per player per second at the nominal rate. */
  bytesPerPlayerPerSecNominal: number;
  stateChangesPerPlayerPerSec: number;
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
  loadCoreShare: number;
  dropped: number;
  errors: string;
}

/** `--targets raw` means the scenario's baseline: here Colyseus. */
const systemOf = (target: TargetKind): RoomsSystem => (target === 'tavern' ? 'tavern' : 'colyseus');

async function roomsOnce(ctx: SuiteContext, system: RoomsSystem, config: { rooms: number; players: number }, repeat: number): Promise<RoomsRun> {
  const { rooms: options, requestTimeoutMs } = ctx.options;
  const { rooms } = config;
  const players = Math.max(1, Math.min(config.players, Math.floor(fitConnections(ctx, rooms * config.players, 'rooms') / rooms)));
  // The worker boots while the server starts; disposal runs in reverse, so the server stops first.
  await using worker = Worker.program<RoomsWorkerCommands>('rooms-worker', `rooms-${system}`, ctx.layout.load);
  await using server =
    system === 'tavern'
      ? await startTavern({ program: 'tavern-rooms-server', cpus: ctx.layout.server, env: ctx.options.tavernEnv, profileDir: ctx.options.profileDir })
      : await startColyseus({ cpus: ctx.layout.server, profileDir: ctx.options.profileDir });
  const joined = await worker.call('join', {
    system,
    url: server.url,
    secret: SECRET,
    tag: `${system[0] ?? 'x'}${repeat}`,
    rooms,
    playersPerRoom: players,
    concurrency: options.joinConcurrency,
    timeoutMs: requestTimeoutMs,
  });
  if (joined.joined !== rooms * players) {
    throw new Error(`${server.label}: ${joined.joined}/${rooms * players} bots seated: ${describeErrors(joined.errors)}\n${server.output().slice(-2000)}`);
  }

  const playing = worker.call('play', { hz: options.inputHz, durationMs: options.warmupMs + options.durationMs + options.tailMs });
  await sleep(options.warmupMs);
  await worker.call('reset', {});
  const cpu = await meterWindow(server.pid, 0, options.durationMs);
  const stats = await worker.call('stats', {});
  await playing;
  assertAlive(server);

  const seconds = stats.wallMs / 1000;
  const latency = Histogram.from(stats.latency);
  const count = rooms * players;
  return {
    system,
    repeat,
    rooms,
    playersPerRoom: players,
    joinMs: joined.elapsedMs,
    inputsSentPerSec: round(stats.inputsSent / seconds, 0),
    inputsAppliedPerSec: round(stats.inputsSeen / seconds, 0),
    inputsMissing: Math.max(0, stats.inputsSent - stats.inputsSeen),
    cpuMs: round(cpu.cpuMs, 0),
    serverCoreShare: round(cpu.coreShare),
    cpuUsPerUpdate: stats.inputsSeen > 0 ? round((cpu.cpuMs * 1000) / stats.inputsSeen, 2) : Number.NaN,
    bytesPerPlayerPerSec: round(stats.bytesReceived / count / seconds, 0),
    bytesPerPlayerPerSecNominal: stats.inputsSeen > 0 ? round((stats.bytesReceived / stats.inputsSeen) * options.inputHz, 0) : Number.NaN,
    stateChangesPerPlayerPerSec: round(stats.stateChanges / count / seconds, 1),
    latencyP50: round(latency.percentile(50), 1),
    latencyP99: round(latency.percentile(99), 1),
    latencyMax: round(latency.max, 1),
    loadCoreShare: round(stats.wallMs > 0 ? stats.cpuMs / stats.wallMs : Number.NaN),
    dropped: stats.dropped,
    errors: tallyTotal(stats.errors) ? describeErrors(stats.errors) : 'none',
  };
}

export async function runRooms(ctx: SuiteContext): Promise<ScenarioResult> {
  const id = 'rooms';
  const title = '7. Game rooms against Colyseus';
  const runs: RoomsRun[] = [];
  const { rooms: options } = ctx.options;
  try {
    for (const config of options.configs) {
      for (let repeat = 0; repeat < ctx.options.repeats; repeat++) {
        for (const system of ctx.targets.map(systemOf)) {
          ctx.log(`  rooms: ${config.rooms} rooms × ${config.players} players, ${options.inputHz} inputs/s each, ${system} (run ${repeat + 1}/${ctx.options.repeats})`);
          const run = await roomsOnce(ctx, system, config, repeat);
          ctx.log(
            `    ${run.inputsAppliedPerSec} inputs applied/s (${run.inputsSentPerSec} sent), server ${Math.round(run.serverCoreShare * 100)}% of a core, ${run.cpuUsPerUpdate} µs CPU per update, ${run.bytesPerPlayerPerSec} B/s per player (${run.bytesPerPlayerPerSecNominal} at ${options.inputHz} inputs/s), latency p50 ${run.latencyP50} p99 ${run.latencyP99} max ${run.latencyMax} ms, load ${Math.round(run.loadCoreShare * 100)}%, errors ${run.errors}`,
          );
          runs.push(run);
        }
      }
    }
  } catch (error) {
    const result = notRun(id, title, error);
    result.runs = runs;
    return result;
  }
  const labels = { baseline: 'Colyseus' };
  const figures = options.configs.flatMap((config) => {
    const size = `${config.rooms} rooms × ${config.players}`;
    const ofSize = (system: RoomsSystem) => runs.filter((run) => run.system === system && run.rooms === config.rooms);
    const pairs = (pick: (run: RoomsRun) => number): PairedRun[] => pairRuns(ofSize('tavern'), ofSize('colyseus'), pick);
    return [
      pairedFigure(`server CPU per player update (${size})`, 'µs', pairs((run) => run.cpuUsPerUpdate), goals.roomsNoWorse, labels),
      pairedFigure(`bytes received per player per second at ${options.inputHz} inputs/s (${size})`, 'B/s', pairs((run) => run.bytesPerPlayerPerSecNominal), goals.roomsNoWorse, labels),
      pairedFigure(`patch latency p99 (${size})`, 'ms', pairs((run) => run.latencyP99), goals.roomsNoWorse, labels),
      pairedFigure(`patch latency max (${size})`, 'ms', pairs((run) => run.latencyMax), null, labels),
    ];
  });
  const notes = [
    `both servers tick at 20 Hz and send changes every 50 ms; every bot sends ${options.inputHz} inputs/s; Tavern syncs JSON Patch over Socket.IO, Colyseus its binary schema deltas over WebSocket`,
    'patch latency max has no goal: it is one sample per run, the first to hit a GC pause or a busy load generator',
  ];
  const missing = runs.filter((run) => run.inputsMissing > run.inputsSentPerSec * 0.5);
  if (missing.length) notes.push(`in ${missing.length} run(s) more than half a second's inputs were not seen applied by the end of the window: ${missing.map((run) => `${run.system} ${run.rooms}×${run.playersPerRoom}: ${run.inputsMissing}`).join(', ')}`);
  const dropped = runs.filter((run) => run.dropped > 0);
  if (dropped.length) notes.push(`bots lost their connection or seat in ${dropped.length} run(s): ${dropped.map((run) => `${run.system} ${run.rooms}×${run.playersPerRoom}: ${run.errors}`).join('; ')}`);
  const slow = runs.filter((run) => run.inputsSentPerSec < 0.9 * options.inputHz * run.rooms * run.playersPerRoom);
  if (slow.length) {
    notes.push(
      `the bots could not keep ${options.inputHz} inputs/s each in ${slow.length} run(s) (a busy load-generator core: ${slow.map((run) => `${run.system} ${run.rooms}×${run.playersPerRoom} sent ${run.inputsSentPerSec} of ${options.inputHz * run.rooms * run.playersPerRoom}/s`).join(', ')}): their latency includes the bots' own queueing`,
    );
  }
  const loadBound = runs.filter((run) => run.loadCoreShare > 0.9);
  if (loadBound.length) notes.push(`the load generator used over 90% of its core in ${loadBound.length} run(s) (${loadBound.map((run) => `${run.system} ${run.rooms}×${run.playersPerRoom}`).join(', ')}): latency there includes the bots' own queueing`);
  return { id, title, status: 'ok', figures, notes, runs };
}
