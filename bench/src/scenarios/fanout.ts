/**
 * Scenario 2: room fan-out. One sender's `chat:send` into a channel of N members (the
 * sender is one of them), open loop at a fixed rate and then at stepped rates. Each member
 * reads the send time out of the message and records the latency.
 *
 * - max delivered/s: the highest step whose deliveries/s had p99 ≤ 100 ms with nothing lost
 *   (every acked message reached every member within the drain time) and no error;
 * - p50/p99 at a fixed rate: the same at one rate both servers handle.
 *
 * The stepped runner is shared with scenario 5 (two nodes), where members sit on two nodes.
 */
import type { ClientSpec, SendResult } from '../load/commands.js';
import { tallyTotal } from '../load/commands.js';
import { Histogram } from '../load/histogram.js';
import { collectStats, resetAll, Worker } from '../load/workers.js';
import type { ServerHandle, TargetKind } from '../processes/servers.js';
import { goals, pairedFigure, pairRuns, type ChartSeries, type PairedRun, type ScenarioResult } from '../results.js';
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
  sleep,
  startTarget,
  type SuiteContext,
} from './common.js';

export interface StepResult {
  sendRate: number;
  sent: number;
  acked: number;
  expected: number;
  delivered: number;
  deliveredPerSec: number;
  p50: number;
  p99: number;
  max: number;
  ackP99: number;
  /** Per member group (`local`, `remote`): p50, p99, deliveries. */
  groups: Record<string, { p50: number; p99: number; delivered: number }>;
  errors: string;
  passed: boolean;
  /** The step failed on latency alone the first time and this is its second run. */
  retried?: boolean;
  loadCoreShare: number;
  serverCoreShare: number;
  /** CPU µs per delivered message, summed over every server and `otherCpuMs` process (Redis). */
  cpuUsPerDelivery: number;
  /** CPU ms of each `otherCpuMs` process over the step, in its order. */
  otherCpuMs: number[];
  /** How long the step's CPU was metered (the sends and the wait for the last deliveries). */
  wallMs: number;
}

export interface FanoutRun {
  target: string;
  members: number;
  repeat: number;
  channelKind: string;
  joinMs: number;
  fixed: StepResult;
  steps: StepResult[];
  /** Highest deliveries/s of a passing step (0 when none passed). */
  maxDeliveredPerSec: number;
}

export interface FanoutPlan {
  label: string;
  members: number;
  /** The node the sender (member 0) talks to. */
  senderUrl: string;
  /** The node and latency group of member i (1..members-1). */
  placeMember(index: number): { url: string; group: string };
  deliveriesSteps: readonly number[];
  fixedDeliveries: number;
  stepMs: number;
  p99LimitMs: number;
  /** Servers whose CPU is reported and which must stay alive. */
  servers: readonly ServerHandle[];
  /** CPU ms so far of other processes that count towards `cpuUsPerDelivery` (Redis), each. */
  otherCpuMs?: () => Promise<number[]>;
  /** Groups that must receive a first message before measuring (cross-node subscriptions). */
  warmGroups: readonly string[];
  tag: string;
}

function pct(histogram: Histogram | undefined, p: number): number {
  return histogram ? round(histogram.percentile(p), 3) : Number.NaN;
}

/** Runs the fixed rate and the steps against servers that are already up. */
export interface FanoutWorkers {
  sender: Worker;
  members: Worker;
}

/** Starts the two load workers of a fan-out (before the servers, so they boot meanwhile). */
export function fanoutWorkers(ctx: SuiteContext): FanoutWorkers & AsyncDisposable {
  const sender = Worker.start('sender', ctx.layout.load);
  const members = Worker.start('members', ctx.layout.load);
  return {
    sender,
    members,
    async [Symbol.asyncDispose]() {
      await Promise.all([sender.stop(), members.stop()]);
    },
  };
}

export async function runFanoutPlan(ctx: SuiteContext, plan: FanoutPlan, workers: FanoutWorkers, repeat: number): Promise<FanoutRun> {
  const receivers = plan.members - 1;
  const { sender, members } = workers;
  const prefix = `${plan.tag}-`;
  requireConnected(
    `${plan.label} sender`,
    await sender.call('connect', {
      clients: [{ userId: `${plan.tag}-sender`, url: plan.senderUrl, guilds: [`${prefix}0`] }],
      secret: SECRET,
      concurrency: 1,
      timeoutMs: ctx.options.requestTimeoutMs,
    }),
    1,
  );
  const channels = await openChannels(ctx, sender, prefix, 1, plan.label);
  const channelId = channels.channelIds[0] as string;
  if (channels.kind === 'room') {
    await sender.call('requestAll', { event: 'chat:join', payload: { kind: 'same', value: { channelId, historyLimit: 0 } }, concurrency: 1, timeoutMs: ctx.options.requestTimeoutMs });
  }

  const specs: ClientSpec[] = Array.from({ length: receivers }, (_, offset) => {
    const place = plan.placeMember(offset + 1);
    return memberSpec(`${plan.tag}-m${offset + 1}`, place.url, channels, 0, { group: place.group });
  });
  requireConnected(
    `${plan.label} members`,
    await members.call('connect', { clients: specs, secret: SECRET, concurrency: 100, timeoutMs: ctx.options.requestTimeoutMs }),
    receivers,
  );
  const joinMs = await joinAll(ctx, members, receivers, plan.label);

  let stepIndex = 0;
  const step = async (deliveriesPerSec: number, durationMs: number): Promise<StepResult> => {
    const sendRate = deliveriesPerSec / receivers;
    await resetAll([members]);
    const cpu = plan.servers.map((server) => ({ server, start: server.cpuMs(), at: performance.now() }));
    const othersAtStart = (await plan.otherCpuMs?.()) ?? [];
    const startedAt = performance.now();
    const sent: SendResult = await sender.call('openLoop', {
      client: 0,
      channelId,
      ratePerSec: sendRate,
      durationMs,
      maxInFlight: 10_000,
      drainMs: 5_000,
      tag: `${plan.tag}-s${stepIndex++}`,
    });
    const expected = sent.acked * receivers;
    // Wait for the last deliveries: until all arrived, or nothing arrived for a second (at most 10 s).
    let stats = await collectStats([members]);
    let lastCount = stats.chatMessages;
    let lastProgress = performance.now();
    const deadline = performance.now() + 10_000;
    while (stats.chatMessages < expected && performance.now() - lastProgress < 1_000 && performance.now() < deadline) {
      await sleep(100);
      stats = await collectStats([members]);
      if (stats.chatMessages > lastCount) {
        lastCount = stats.chatMessages;
        lastProgress = performance.now();
      }
    }
    const serverCoreShare = Math.max(...cpu.map(({ server, start, at }) => (server.cpuMs() - start) / (performance.now() - at)));
    const wallMs = performance.now() - startedAt;
    const otherCpuMs = ((await plan.otherCpuMs?.()) ?? []).map((used, i) => round(used - (othersAtStart[i] ?? Number.NaN), 3));
    const totalCpuMs = cpu.reduce((sum, { server, start }) => sum + server.cpuMs() - start, 0) + otherCpuMs.reduce((sum, used) => sum + used, 0);
    for (const server of plan.servers) assertAlive(server);
    const errorCount = sent.failed + sent.unacked + tallyTotal(stats.errors);
    const p99 = pct(stats.all, 99);
    const groups = Object.fromEntries(
      [...stats.latency].map(([group, histogram]) => [
        group,
        { p50: pct(histogram, 50), p99: pct(histogram, 99), delivered: stats.chatMessagesByGroup[group] ?? 0 },
      ]),
    );
    return {
      sendRate: round(sendRate, 2),
      sent: sent.sent,
      acked: sent.acked,
      expected,
      delivered: stats.chatMessages,
      deliveredPerSec: round(stats.chatMessages / (durationMs / 1000), 0),
      p50: pct(stats.all, 50),
      p99,
      max: round(stats.all.max, 3),
      ackP99: pct(Histogram.from(sent.ack), 99),
      groups,
      errors: [sent.failed || sent.unacked ? `acks: ${describeErrors(sent.errors)}, ${sent.unacked} unacked` : '', tallyTotal(stats.errors) ? `events: ${describeErrors(stats.errors)}` : '']
        .filter(Boolean)
        .join('; ') || 'none',
      passed: errorCount === 0 && expected > 0 && stats.chatMessages >= expected && p99 <= plan.p99LimitMs,
      loadCoreShare: round(stats.maxWorkerCoreShare),
      serverCoreShare: round(serverCoreShare),
      cpuUsPerDelivery: stats.chatMessages > 0 ? round((totalCpuMs * 1000) / stats.chatMessages, 2) : Number.NaN,
      otherCpuMs,
      wallMs: round(wallMs, 0),
    };
  };

  // Warm-up: a second at the lowest step, until every group has had a delivery (cross-node
  // delivery starts once the other node has subscribed).
  const lowest = plan.deliveriesSteps[0] ?? plan.fixedDeliveries;
  for (let attempt = 0; attempt < 10; attempt++) {
    const warm = await step(lowest, Math.min(1_000, plan.stepMs));
    const missing = plan.warmGroups.filter((group) => (warm.groups[group]?.delivered ?? 0) === 0);
    if (missing.length === 0 && warm.delivered > 0) break;
    if (attempt === 9) throw new Error(`${plan.label}: members in ${missing.join(', ') || 'every group'} received nothing after 10 warm-up steps`);
  }

  const fixed = await step(plan.fixedDeliveries, plan.stepMs);
  ctx.log(`    fixed ${fixed.deliveredPerSec} deliveries/s: p50 ${fixed.p50} ms, p99 ${fixed.p99} ms, errors ${fixed.errors}`);
  const steps: StepResult[] = [];
  for (const deliveries of plan.deliveriesSteps) {
    let result = await step(deliveries, plan.stepMs);
    // One stall (a GC pause, a neighbour on the core) should not end the stepping: a step
    // that failed on latency alone, with nothing lost and no error, runs once more.
    const latencyOnly = !result.passed && result.errors === 'none' && result.delivered >= result.expected;
    if (latencyOnly) {
      ctx.log(`    step ${result.sendRate} msgs/s: p99 ${result.p99} ms, once more`);
      result = { ...(await step(deliveries, plan.stepMs)), retried: true };
    }
    steps.push(result);
    ctx.log(
      `    step ${result.sendRate} msgs/s -> ${result.deliveredPerSec} deliveries/s (${result.delivered}/${result.expected}): p50 ${result.p50} ms, p99 ${result.p99} ms, server ${Math.round(result.serverCoreShare * 100)}%, load ${Math.round(result.loadCoreShare * 100)}%${result.passed ? '' : `  (stop: ${result.errors === 'none' ? 'p99 or loss' : result.errors})`}`,
    );
    if (!result.passed) break;
  }
  const passing = steps.filter((result) => result.passed);
  return {
    target: plan.label,
    members: plan.members,
    repeat,
    channelKind: channels.kind,
    joinMs: round(joinMs, 0),
    fixed,
    steps,
    maxDeliveredPerSec: passing.length ? Math.max(...passing.map((result) => result.deliveredPerSec)) : 0,
  };
}

export async function runFanout(ctx: SuiteContext): Promise<ScenarioResult> {
  const id = 'fanout';
  const title = '2. Room fan-out';
  const { fanout } = ctx.options;
  const runs: FanoutRun[] = [];
  const figures = [];
  try {
    for (const wanted of fanout.sizes) {
      const members = fitConnections(ctx, wanted, `fan-out to ${wanted} members`);
      for (let repeat = 0; repeat < ctx.options.repeats; repeat++) {
        for (const target of ctx.targets) {
          ctx.log(`  fan-out to ${members} members, ${target} (run ${repeat + 1}/${ctx.options.repeats})`);
          runs.push(await fanoutOnce(ctx, target, members, repeat));
        }
      }
      const pairs = (pick: (run: FanoutRun) => number): PairedRun[] => {
        const tavern = runs.filter((run) => run.members === members && run.target === 'Tavern');
        const raw = runs.filter((run) => run.members === members && run.target !== 'Tavern');
        return pairRuns(tavern, raw, pick);
      };
      const size = members.toLocaleString('en');
      const fixedRate = round(fanout.fixedDeliveries / (members - 1), 2);
      figures.push(pairedFigure(`${size} clients join one channel (20 joins in flight)`, 'ms', pairs((run) => run.joinMs), goals.channelJoin));
      figures.push(pairedFigure(`max delivered msgs/s at p99 ≤ ${fanout.p99LimitMs} ms (${size} members)`, '/s', pairs((run) => run.maxDeliveredPerSec), goals.fanout));
      figures.push(pairedFigure(`p50 at ${fixedRate} msgs/s (${size} members)`, 'ms', pairs((run) => run.fixed.p50), null));
      figures.push(pairedFigure(`p99 at ${fixedRate} msgs/s (${size} members)`, 'ms', pairs((run) => run.fixed.p99), null));
      for (const label of ['Tavern', 'raw Socket.IO']) {
        const last = runs.filter((run) => run.members === members && run.target === label).at(-1);
        if (last) chartSeries(ctx.chart, label, members, last);
      }
    }
  } catch (error) {
    const result = notRun(id, title, error);
    result.runs = runs;
    return result;
  }
  const notes: string[] = [];
  const loadBound = runs.flatMap((run) => run.steps).filter((step) => step.loadCoreShare > 0.9);
  if (loadBound.length) notes.push(`the load generator used over 90% of its core in ${loadBound.length} step(s): the client may be the limit there`);
  notes.push(...rateLimitNotes(runs));
  const kinds = [...new Set(runs.map((run) => run.channelKind))];
  notes.push(`channels: ${kinds.join(', ')}; latency = member receive time − the sender's send time (in the message), all members`);
  return { id, title, status: 'ok', figures, notes, runs };
}

/**
 * Notes for runs whose stepping ended on RATE_LIMITED acks: that is a configured limit (for
 * example the chat feature's per-channel rate), not the server's capacity.
 */
export function rateLimitNotes(runs: readonly FanoutRun[]): string[] {
  return runs.flatMap((run) => {
    const limited = [run.fixed, ...run.steps].find((step) => step.errors.includes('RATE_LIMITED'));
    return limited
      ? [
          `${run.target} (${run.members} members, run ${run.repeat + 1}) refused sends with RATE_LIMITED at ${limited.sendRate} msgs/s: a configured limit (the chat feature's per-channel rate), not the server's capacity; lift it to measure further`,
        ]
      : [];
  });
}

function chartSeries(chart: ChartSeries[], label: string, members: number, run: FanoutRun): void {
  chart.push({
    label,
    members,
    points: run.steps.map((step) => ({ deliveredPerSec: step.deliveredPerSec, sendRate: step.sendRate, p50: step.p50, p99: step.p99 })),
  });
}

async function fanoutOnce(ctx: SuiteContext, target: TargetKind, members: number, repeat: number): Promise<FanoutRun> {
  const { fanout } = ctx.options;
  await using workers = fanoutWorkers(ctx);
  await using server = await startTarget(ctx, target);
  return await runFanoutPlan(
    ctx,
    {
      label: server.label,
      members,
      senderUrl: server.url,
      placeMember: () => ({ url: server.url, group: 'all' }),
      deliveriesSteps: fanout.deliveriesSteps,
      fixedDeliveries: fanout.fixedDeliveries,
      stepMs: fanout.stepMs,
      p99LimitMs: fanout.p99LimitMs,
      servers: [server],
      warmGroups: ['all'],
      tag: `f${members}r${repeat}`,
    },
    workers,
    repeat,
  );
}
