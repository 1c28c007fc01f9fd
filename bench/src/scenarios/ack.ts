/**
 * Scenario 3: the chat ack path. C channels × M members; every member sends `chat:send`
 * into its channel in a closed loop (the next send when the ack is back), after a warm-up.
 * Then the same clients send at a fixed total rate (open loop), below both servers' limits.
 *
 * - acked sends/s = successful acks inside the measuring window / its length
 * - ack p99 = send -> ack time of those sends
 * - server CPU per ack = the server's CPU time in the paced window / the acks in it. A closed
 *   loop amplifies per-send cost (a slower server leaves its client idle, and both then pay
 *   more per event); at the same fixed rate this figure shows the cost itself.
 */
import { tallyTotal, type ClientSpec } from '../load/commands.js';
import { Histogram } from '../load/histogram.js';
import { collectStats, resetAll, Worker } from '../load/workers.js';
import { meterWindow } from '../processes/proc-stats.js';
import type { TargetKind } from '../processes/servers.js';
import { goals, pairedFigure, pairRuns, type PairedRun, type ScenarioResult } from '../results.js';
import {
  assertAlive,
  describeErrors,
  fitConnections,
  joinAll,
  memberSpec,
  notRun,
  openChannels,
  requireConnected,
  round,
  SECRET,
  startTarget,
  type SuiteContext,
} from './common.js';

export interface AckRun {
  target: TargetKind;
  channels: number;
  members: number;
  repeat: number;
  ackedPerSec: number;
  ackP50: number;
  ackP99: number;
  deliveriesPerSec: number;
  errors: string;
  serverCoreShare: number;
  loadCoreShare: number;
  /** Server CPU µs per ack at `pacedPerSec` (open loop); NaN when no ack came back. */
  pacedCpuUsPerAck: number;
  pacedAckedPerSec: number;
}

async function ackOnce(ctx: SuiteContext, target: TargetKind, channels: number, members: number, repeat: number): Promise<AckRun> {
  const { ack, requestTimeoutMs } = ctx.options;
  const tag = `a${channels}x${members}r${repeat}`;
  // Workers boot while the server starts; disposal runs in reverse, so the server stops first.
  await using setup = Worker.start('setup', ctx.layout.load);
  await using worker = Worker.start('senders', ctx.layout.load);
  await using server = await startTarget(ctx, target);
  requireConnected(
    `${server.label} set-up client`,
    await setup.call('connect', {
      clients: [{ userId: `${tag}-setup`, url: server.url, guilds: [`${tag}-0`] }],
      secret: SECRET,
      concurrency: 1,
      timeoutMs: requestTimeoutMs,
    }),
    1,
  );
  const opened = await openChannels(ctx, setup, `${tag}-`, channels, server.label);
  const specs: ClientSpec[] = [];
  const fitted = Math.max(1, Math.floor(fitConnections(ctx, channels * members, 'ack path') / members));
  for (let channel = 0; channel < fitted; channel++) {
    for (let member = 0; member < members; member++) specs.push(memberSpec(`${tag}-c${channel}m${member}`, server.url, opened, channel));
  }
  requireConnected(
    `${server.label} members`,
    await worker.call('connect', { clients: specs, secret: SECRET, concurrency: 100, timeoutMs: requestTimeoutMs }),
    specs.length,
  );
  await joinAll(ctx, worker, specs.length, server.label);
  await resetAll([worker]);

  const window = meterWindow(server.pid, ack.warmupMs, ack.durationMs);
  const result = await worker.call('closedLoop', { warmupMs: ack.warmupMs, durationMs: ack.durationMs, drainMs: 5_000, tag });
  const serverCpu = await window;
  const stats = await collectStats([worker]);
  // The same clients at a fixed rate, with the same warm-up and window.
  const pacedWindow = meterWindow(server.pid, ack.warmupMs, ack.durationMs);
  const paced = await worker.call('paced', { ratePerSec: ack.pacedPerSec, warmupMs: ack.warmupMs, durationMs: ack.durationMs, drainMs: 5_000, tag: `${tag}p` });
  const pacedCpu = await pacedWindow;
  assertAlive(server);
  const histogram = Histogram.from(result.ack);
  const errorCount = result.failed + tallyTotal(stats.errors) + paced.failed;
  return {
    target,
    channels,
    members,
    repeat,
    ackedPerSec: round((result.acked / ack.durationMs) * 1000, 0),
    ackP50: round(histogram.percentile(50), 3),
    ackP99: round(histogram.percentile(99), 3),
    deliveriesPerSec: round((stats.chatMessages / (ack.warmupMs + ack.durationMs)) * 1000, 0),
    errors: errorCount ? `acks: ${describeErrors(result.errors)}; events: ${describeErrors(stats.errors)}; paced: ${describeErrors(paced.errors)}` : 'none',
    serverCoreShare: round(serverCpu.coreShare),
    loadCoreShare: round(stats.maxWorkerCoreShare),
    pacedCpuUsPerAck: paced.acked > 0 ? round((pacedCpu.cpuMs * 1000) / paced.acked, 1) : Number.NaN,
    pacedAckedPerSec: round((paced.acked / ack.durationMs) * 1000, 0),
  };
}

export async function runAck(ctx: SuiteContext): Promise<ScenarioResult> {
  const id = 'ack';
  const title = '3. Chat ack path';
  const runs: AckRun[] = [];
  const figures = [];
  try {
    for (const { channels, members } of ctx.options.ack.configs) {
      for (let repeat = 0; repeat < ctx.options.repeats; repeat++) {
        for (const target of ctx.targets) {
          ctx.log(`  ack path ${channels} channels × ${members}, ${target} (run ${repeat + 1}/${ctx.options.repeats})`);
          const run = await ackOnce(ctx, target, channels, members, repeat);
          ctx.log(
            `    ${run.ackedPerSec} acked sends/s, ack p50 ${run.ackP50} ms, p99 ${run.ackP99} ms, server ${Math.round(run.serverCoreShare * 100)}%, load ${Math.round(run.loadCoreShare * 100)}%; paced ${run.pacedAckedPerSec} acks/s at ${run.pacedCpuUsPerAck} µs server CPU each; errors ${run.errors}`,
          );
          runs.push(run);
        }
      }
      const pairs = (pick: (run: AckRun) => number): PairedRun[] => {
        const mine = runs.filter((run) => run.channels === channels && run.members === members);
        const tavern = mine.filter((run) => run.target === 'tavern');
        const raw = mine.filter((run) => run.target === 'raw');
        return pairRuns(tavern, raw, pick);
      };
      const shape = `${channels} × ${members}`;
      figures.push(pairedFigure(`acked sends/s (${shape})`, '/s', pairs((run) => run.ackedPerSec), goals.ackRate));
      figures.push(pairedFigure(`ack p99 (${shape})`, 'ms', pairs((run) => run.ackP99), goals.ackP99));
      figures.push(pairedFigure(`server CPU per ack at ${ctx.options.ack.pacedPerSec.toLocaleString('en')} sends/s (${shape})`, 'µs', pairs((run) => run.pacedCpuUsPerAck), null));
    }
  } catch (error) {
    const result = notRun(id, title, error);
    result.runs = runs;
    return result;
  }
  const notes = [
    'closed loop: each member has one send in flight; ack latency therefore grows with queueing once the server is saturated',
    `server CPU per ack: the same clients at a fixed ${ctx.options.ack.pacedPerSec.toLocaleString('en')} sends/s (open loop), the server's CPU time over the window / the acks in it`,
  ];
  const failed = runs.filter((run) => run.errors !== 'none');
  if (failed.length) notes.push(`errors in ${failed.length} run(s): ${failed.map((run) => `${run.target}: ${run.errors}`).join('; ')}`);
  const loadBound = runs.filter((run) => run.loadCoreShare > 0.9);
  if (loadBound.length) notes.push(`the load generator used over 90% of its core in ${loadBound.length} run(s): the client may be the limit there`);
  return { id, title, status: 'ok', figures, notes, runs };
}
