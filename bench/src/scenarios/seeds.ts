/**
 * Scenario 8 (issue 22): the seeds' targets together. N authenticated connections in rooms of
 * 10 (guild channels), one server process, and a mixed open-loop load from random members:
 * `chat:send` (1,000/s), `chat:typing` (200 signals/s: starts and their stops), `presence:set`
 * (20/s, away and back: `presence:changed` to the user's channels) and `chat:read` (100/s:
 * the receipt to the channel). After a warm-up, one measured window (60 s), then an optional
 * ramp of chat rates with the other rates unchanged: the highest chat rate that holds every
 * target (p99 chat < 100 ms, typing < 50, presence < 200, receipts < 150, max event-loop
 * delay < 50 ms, every message delivered), and how the first rate past it degrades (its p99
 * against the held rate's, its RSS growth). Last, SIGTERM with every client still connected:
 * how long the graceful shutdown takes (raw Socket.IO: `io.close()`).
 *
 * Latency: chat delivery = receive − the send time in the content; typing, presence and
 * receipts = receive − when the same worker sent it (every room's members live in one
 * worker); acks = send → ack. The server's event-loop delay, GC pauses and memory come from
 * `probe.ts`, preloaded into both servers. Raw Socket.IO does the same broadcasts with the
 * same fan-out shapes (`raw-server.ts`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tallyTotal, type ClientSpec, type MixResult, type MixStats } from '../load/commands.js';
import { Histogram, type HistogramData } from '../load/histogram.js';
import { collectStats, resetAll, Worker } from '../load/workers.js';
import type { ProbeSample } from '../processes/probe.js';
import { startRedisServer, type RedisHandle } from '../processes/redis.js';
import { startRaw, startTavern, type ServerHandle, type TargetKind } from '../processes/servers.js';
import { probeNodeArgs } from '../processes/spawn.js';
import { pairedFigure, pairRuns, type Goal, type ScenarioResult } from '../results.js';
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
  type SuiteContext,
} from './common.js';

const KINDS = ['chat', 'ack', 'typing', 'presence', 'receipts'] as const;
type Kind = (typeof KINDS)[number];
const KIND_NAMES: Record<Kind, string> = {
  chat: 'chat delivery',
  ack: 'chat:send ack',
  typing: 'typing',
  presence: 'presence',
  receipts: 'read receipts',
};

/** The seeds' targets (p99, ms) and the event-loop delay's. */
export const SEEDS_TARGETS = { chat: 100, typing: 50, presence: 200, receipts: 150, eldMax: 50 } as const;

const below = (limit: number): Goal => ({ text: `< ${limit} ms`, on: 'value', op: '<=', limit });
const HOLDING_RATE: Goal = { text: '≥ 1.0×', on: 'ratio', op: '>=', limit: 1 };
/** Connect + join at ≥ 0.8× raw Socket.IO's rate: at most 1.25× its time. */
const JOIN_RATE: Goal = { text: '≤ 1.25× (≥ 0.8× the rate)', on: 'ratio', op: '<=', limit: 1.25 };
const SHUTDOWN: Goal = { text: '< 1,000 ms', on: 'value', op: '<=', limit: 1_000 };
/** One step past the highest holding rate: p99 at most twice the holding rate's, RSS up at most 20%. */
const PAST_P99: Goal = { text: '≤ 2×', on: 'value', op: '<=', limit: 2 };
const PAST_RSS: Goal = { text: '≤ 20%', on: 'value', op: '<=', limit: 20 };
/** The longest a graceful shutdown is waited for before SIGKILL. */
const SHUTDOWN_LIMIT_MS = 30_000;

interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface SeedsWindow {
  chatPerSec: number;
  durationMs: number;
  sent: MixResult['sent'];
  acked: MixResult['acked'];
  errors: string;
  latency: Record<Kind, Percentiles>;
  /** Received / expected, per kind (typing is volatile). */
  delivered: { chat: number; typing: number; presence: number; receipts: number };
  eldMaxMs: number;
  /** The highest per-second p99 of the event-loop delay. */
  eldP99Ms: number;
  gcMaxMs: number;
  majorGcs: number;
  majorGcMaxMs: number;
  gcMsPerSec: number;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  serverCoreShare: number;
  loadCoreShare: number;
  cpuUsPerDelivery: number;
  /** Targets missed; empty when the window held every one. */
  missed: string[];
  /** `--trace-gc` Mark-Compact lines printed in the window (with `--seeds-trace-gc`). */
  markCompacts: string[];
}

export interface SeedsRun {
  target: string;
  repeat: number;
  connections: number;
  rooms: number;
  channelKind: string;
  backend: 'memory' | 'redis';
  connectMs: number;
  joinMs: number;
  /** The server's CPU (user + system) over the connects and the joins, per client. */
  connectJoinCpuUs: number;
  /** History sent before the warm-up (`--seeds-prefill`), Tavern only. */
  prefill: { messages: number; elapsedMs: number } | null;
  window: SeedsWindow;
  ramp: SeedsWindow[];
  /** Highest ramp chat rate that held every target (0 when none did, NaN without a ramp). */
  maxHoldingChatPerSec: number;
  /**
   * The first ramp step that missed against the last one that held (the measured window when
   * no step did): its chat p99 as a multiple of the held one's, and its RSS growth in percent.
   * Null when the ramp held throughout or did not run.
   */
  pastHolding: { chatPerSec: number; p99Ratio: number; rssGrowthPct: number } | null;
  /** SIGTERM to exit with every client connected, after the ramp (the graceful shutdown of a deploy). */
  shutdownMs: number;
  /** Seconds since the window started (negative: warm-up), RSS and heap in MB, every 5 s. */
  memory: { s: number; rssMb: number; heapMb: number }[];
}

function percentiles(data: HistogramData | Histogram): Percentiles {
  const histogram = data instanceof Histogram ? data : Histogram.from(data);
  const at = (p: number) => round(histogram.percentile(p), 2);
  return { count: histogram.count, p50: at(50), p95: at(95), p99: at(99), max: round(histogram.max, 2) };
}

function merge(datas: readonly HistogramData[]): Histogram {
  const histogram = new Histogram();
  for (const data of datas) histogram.merge(data);
  return histogram;
}

function readProbe(file: string): ProbeSample[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ProbeSample);
}

const mb = (bytes: number) => round(bytes / 1_048_576, 1);

export async function runSeeds(ctx: SuiteContext): Promise<ScenarioResult> {
  const id = 'seeds';
  const title = '8. Seeds: the mixed chat load';
  const { seeds } = ctx.options;
  const runs: SeedsRun[] = [];
  const connections = Math.max(seeds.roomSize, Math.floor(fitConnections(ctx, seeds.connections + 1, 'seeds scenario') / seeds.roomSize) * seeds.roomSize);
  try {
    for (let repeat = 0; repeat < ctx.options.repeats; repeat++) {
      for (const target of ctx.targets) {
        ctx.log(`  seeds: ${connections} connections in rooms of ${seeds.roomSize}, ${target}${target === 'tavern' && seeds.redis ? ' over Redis' : ''} (run ${repeat + 1}/${ctx.options.repeats})`);
        runs.push(await seedsOnce(ctx, target, connections, repeat));
      }
    }
  } catch (error) {
    const result = notRun(id, title, error);
    result.runs = runs;
    return result;
  }
  const tavern = runs.filter((run) => run.target === 'Tavern');
  const raw = runs.filter((run) => run.target !== 'Tavern');
  const pairs = (pick: (run: SeedsRun) => number) => pairRuns(tavern, raw, pick);
  const size = `${connections.toLocaleString('en')} conns, ${seeds.chatPerSec.toLocaleString('en')} chat/s`;
  const figures = [
    pairedFigure(`connect + join ${connections.toLocaleString('en')} clients`, 'ms', pairs((run) => run.connectMs + run.joinMs), JOIN_RATE),
    pairedFigure('server CPU per client connected and joined', 'µs', pairs((run) => run.connectJoinCpuUs), null),
    pairedFigure(`shut down with ${connections.toLocaleString('en')} clients connected (SIGTERM to exit)`, 'ms', pairs((run) => run.shutdownMs), SHUTDOWN),
  ];
  const targets: Partial<Record<Kind, number>> = { chat: SEEDS_TARGETS.chat, typing: SEEDS_TARGETS.typing, presence: SEEDS_TARGETS.presence, receipts: SEEDS_TARGETS.receipts };
  for (const kind of KINDS) {
    for (const p of ['p50', 'p95', 'p99', 'max'] as const) {
      const limit = targets[kind];
      figures.push(pairedFigure(`${KIND_NAMES[kind]} ${p} (${size})`, 'ms', pairs((run) => run.window.latency[kind][p]), p === 'p99' && limit !== undefined ? below(limit) : null));
    }
  }
  figures.push(pairedFigure(`server event-loop delay, max (${size})`, 'ms', pairs((run) => run.window.eldMaxMs), below(SEEDS_TARGETS.eldMax)));
  figures.push(pairedFigure(`server event-loop delay, worst 1-s p99`, 'ms', pairs((run) => run.window.eldP99Ms), null));
  figures.push(pairedFigure('server GC pause, max', 'ms', pairs((run) => run.window.gcMaxMs), null));
  figures.push(pairedFigure('server mark-compact GCs in the window', '', pairs((run) => run.window.majorGcs), null));
  figures.push(pairedFigure('server GC time per second', 'ms', pairs((run) => run.window.gcMsPerSec), null));
  figures.push(pairedFigure('server RSS at the end of the window', 'MB', pairs((run) => run.window.rssEndMb), null));
  figures.push(pairedFigure('server RSS growth over the window', 'MB', pairs((run) => run.window.rssEndMb - run.window.rssStartMb), null));
  figures.push(pairedFigure('server CPU per delivered event', 'µs', pairs((run) => run.window.cpuUsPerDelivery), null));
  if (seeds.rampChatPerSec.length > 0) {
    figures.push(pairedFigure('highest chat rate holding every target (ramp)', '/s', pairs((run) => run.maxHoldingChatPerSec), HOLDING_RATE));
    const past = (pick: (step: NonNullable<SeedsRun['pastHolding']>) => number) => pairs((run) => (run.pastHolding ? pick(run.pastHolding) : Number.NaN));
    figures.push(pairedFigure('one step past the highest holding rate: chat p99 against the holding rate’s', '×', past((step) => step.p99Ratio), PAST_P99));
    figures.push(pairedFigure('one step past the highest holding rate: RSS growth over the step', '%', past((step) => step.rssGrowthPct), PAST_RSS));
  }
  const notes: string[] = [
    `${connections / seeds.roomSize} rooms of ${seeds.roomSize} (${[...new Set(runs.map((run) => run.channelKind))].join(', ')} channels), Tavern ${seeds.redis ? 'over Redis' : 'in memory'}; per second: ${seeds.chatPerSec} chat:send, ${seeds.typingPerSec} chat:typing signals (starts held ${seeds.typingHoldMs} ms, then stopped), ${seeds.presencePerSec} presence:set, ${seeds.readPerSec} chat:read; ${seeds.prefillPerRoom > 0 ? `${Math.ceil(seeds.prefillPerRoom / seeds.roomSize) * seeds.roomSize} messages per room sent to Tavern first (its history), then ` : ''}${seeds.warmupMs / 1000} s warm-up, ${seeds.durationMs / 1000} s measured`,
    `targets (p99): chat ${SEEDS_TARGETS.chat} ms, typing ${SEEDS_TARGETS.typing} ms, presence ${SEEDS_TARGETS.presence} ms, receipts ${SEEDS_TARGETS.receipts} ms, max event-loop delay ${SEEDS_TARGETS.eldMax} ms; event-loop delay and GC from monitorEventLoopDelay and PerformanceObserver inside each server process`,
  ];
  for (const run of runs) {
    if (run.window.missed.length) notes.push(`${run.target} (run ${run.repeat + 1}) missed at ${run.window.chatPerSec} chat/s: ${run.window.missed.join(', ')}`);
    const held = run.ramp.map((step) => `${step.chatPerSec}/s ${step.missed.length ? `missed (${step.missed.join(', ')})` : 'held'}`);
    if (held.length) notes.push(`${run.target} (run ${run.repeat + 1}) ramp: ${held.join('; ')}`);
  }
  const loadBound = runs.flatMap((run) => [run.window, ...run.ramp]).filter((window) => window.loadCoreShare > 0.9);
  if (loadBound.length) notes.push(`the busiest load generator used over 90% of its core in ${loadBound.length} window(s): the client may be the limit there`);
  return { id, title, status: 'ok', figures, notes, runs };
}

/** A sample a second, or more often for windows of a few seconds (the smoke run). */
function probeIntervalMs(ctx: SuiteContext): number {
  const { seeds } = ctx.options;
  const shortest = Math.min(seeds.durationMs, ...(seeds.rampChatPerSec.length ? [seeds.rampStepMs] : []));
  return Math.max(100, Math.min(1_000, Math.floor(shortest / 4)));
}

async function startServer(ctx: SuiteContext, target: TargetKind, probeFile: string, redis: RedisHandle | null): Promise<ServerHandle> {
  const { seeds } = ctx.options;
  const nodeArgs = [...probeNodeArgs(), ...(seeds.traceGc ? ['--trace-gc', '--trace-gc-ignore-scavenger'] : [])];
  const probeEnv = { BENCH_PROBE_FILE: probeFile, BENCH_PROBE_MS: String(probeIntervalMs(ctx)) };
  if (target === 'raw') return startRaw({ cpus: ctx.layout.server, profileDir: ctx.options.profileDir, nodeArgs, env: probeEnv });
  return startTavern({
    cpus: ctx.layout.server,
    env: { ...ctx.options.tavernEnv, ...probeEnv },
    allowSource: ctx.options.allowSource,
    profileDir: ctx.options.profileDir,
    nodeArgs,
    ...(redis && { redisUrl: redis.url }),
  });
}

async function seedsOnce(ctx: SuiteContext, target: TargetKind, connections: number, repeat: number): Promise<SeedsRun> {
  const { seeds, requestTimeoutMs } = ctx.options;
  const tag = `s${repeat}`;
  const rooms = connections / seeds.roomSize;
  const workerCount = Math.max(1, Math.min(seeds.workers, rooms));
  const dir = mkdtempSync(join(tmpdir(), 'tavern-bench-seeds-'));
  const probeFile = join(dir, `${target}.jsonl`);
  try {
    // Disposal runs in reverse: the server stops first, then Redis, then the workers.
    await using pool = workersOf(ctx, workerCount);
    const workers = pool.workers;
    await using redis = target === 'tavern' && seeds.redis ? await startRedisServer(ctx.layout.server) : null;
    await using server = await startServer(ctx, target, probeFile, redis);
    const setup = workers[0] as Worker;
    requireConnected(
      `${server.label} set-up client`,
      await setup.call('connect', { clients: [{ userId: `${tag}-setup`, url: server.url, guilds: [`${tag}-0`] }], secret: SECRET, concurrency: 1, timeoutMs: requestTimeoutMs }),
      1,
    );
    const channels = await openChannels(ctx, setup, `${tag}-`, rooms, server.label);
    const specsOf = workers.map(() => [] as ClientSpec[]);
    for (let room = 0; room < rooms; room++) {
      const specs = specsOf[room % workerCount] as ClientSpec[];
      for (let member = 0; member < seeds.roomSize; member++) specs.push(memberSpec(`${tag}-r${room}-m${member}`, server.url, channels, room));
    }
    const connectStarted = performance.now();
    const connectCpu = server.cpuMs();
    await Promise.all(
      workers.map(async (worker, index) => {
        const specs = specsOf[index] as ClientSpec[];
        requireConnected(`${server.label} members`, await worker.call('connect', { clients: specs, secret: SECRET, concurrency: 100, timeoutMs: requestTimeoutMs }), specs.length);
      }),
    );
    const connectMs = performance.now() - connectStarted;
    const joinCpu = server.cpuMs();
    const joinStarted = performance.now();
    await Promise.all(workers.map((worker, index) => joinAll(ctx, worker, (specsOf[index] as ClientSpec[]).length, server.label)));
    const joinMs = performance.now() - joinStarted;
    const joinedCpu = server.cpuMs();
    const cpuOf = (from: number, to: number) => `server CPU ${Math.round(to - from)} ms`;
    ctx.log(`    ${connections} connected in ${Math.round(connectMs)} ms (${cpuOf(connectCpu, joinCpu)}), joined in ${Math.round(joinMs)} ms (${cpuOf(joinCpu, joinedCpu)})`);

    const traceSeen = new Set<string>();
    const measure = async (chatPerSec: number, durationMs: number): Promise<SeedsWindow> => {
      await resetAll(workers);
      const cpuStart = server.cpuMs();
      const wallStart = performance.now();
      const startedAt = Date.now();
      const share = (rate: number) => rate / workerCount;
      const mixes = await Promise.all(
        workers.map((worker) =>
          worker.call('mix', {
            durationMs,
            chatPerSec: share(chatPerSec),
            typingPerSec: share(seeds.typingPerSec),
            typingHoldMs: seeds.typingHoldMs,
            presencePerSec: share(seeds.presencePerSec),
            readPerSec: share(seeds.readPerSec),
            drainMs: 5_000,
            tag: `${tag}-${chatPerSec}-${startedAt}`,
          }),
        ),
      );
      // The last deliveries of the last sends.
      await sleep(300);
      const endedAt = Date.now();
      const cpuMs = server.cpuMs() - cpuStart;
      const wallMs = performance.now() - wallStart;
      assertAlive(server);
      const stats = await collectStats(workers);
      const received: MixStats[] = await Promise.all(workers.map((worker) => worker.call('mixStats', {})));
      // The samples that ended inside the window (the first may have begun up to an interval before it).
      const half = probeIntervalMs(ctx) / 2;
      const samples = readProbe(probeFile).filter((sample) => sample.t > startedAt + half && sample.t <= endedAt + half);
      const sum = (pick: (mix: MixResult) => number) => mixes.reduce((total, mix) => total + pick(mix), 0);
      const sent = { chat: sum((m) => m.sent.chat), typing: sum((m) => m.sent.typing), presence: sum((m) => m.sent.presence), read: sum((m) => m.sent.read) };
      const acked = { chat: sum((m) => m.acked.chat), presence: sum((m) => m.acked.presence), read: sum((m) => m.acked.read) };
      const latency: Record<Kind, Percentiles> = {
        chat: percentiles(stats.all),
        ack: percentiles(merge(mixes.map((mix) => mix.ack.chat))),
        typing: percentiles(merge(received.map((mix) => mix.typing))),
        presence: percentiles(merge(received.map((mix) => mix.presence))),
        receipts: percentiles(merge(received.map((mix) => mix.receipts))),
      };
      const errorCount = sum((m) => m.failed + m.unacked) + tallyTotal(stats.errors);
      const errorText =
        [
          ...mixes.filter((mix) => mix.failed || mix.unacked).map((mix) => `acks: ${describeErrors(mix.errors)}, ${mix.unacked} unacked`),
          tallyTotal(stats.errors) ? `events: ${describeErrors(stats.errors)}` : '',
        ]
          .filter(Boolean)
          .join('; ') || 'none';
      const ratio = (got: number, expected: number) => (expected > 0 ? round(got / expected, 4) : Number.NaN);
      const delivered = {
        chat: ratio(stats.chatMessages, acked.chat * seeds.roomSize),
        typing: ratio(latency.typing.count, sent.typing * (seeds.roomSize - 1)),
        presence: ratio(latency.presence.count, acked.presence * seeds.roomSize),
        receipts: ratio(latency.receipts.count, acked.read * seeds.roomSize),
      };
      const max = (pick: (sample: ProbeSample) => number) => (samples.length ? Math.max(...samples.map(pick)) : Number.NaN);
      const eldMaxMs = round(max((s) => s.eldMaxMs), 2);
      const deliveries = stats.chatMessages + latency.typing.count + latency.presence.count + latency.receipts.count;
      const missed: string[] = [];
      const check = (what: string, value: number, limit: number) => {
        if (!(value < limit)) missed.push(`${what} ${value} ms ≥ ${limit}`);
      };
      check('chat p99', latency.chat.p99, SEEDS_TARGETS.chat);
      check('typing p99', latency.typing.p99, SEEDS_TARGETS.typing);
      check('presence p99', latency.presence.p99, SEEDS_TARGETS.presence);
      check('receipts p99', latency.receipts.p99, SEEDS_TARGETS.receipts);
      check('max event-loop delay', eldMaxMs, SEEDS_TARGETS.eldMax);
      if (errorCount > 0) missed.push(`errors: ${errorText}`);
      if (!(delivered.chat >= 1)) missed.push(`chat delivered ${delivered.chat}`);
      // Each line has the process's uptime in it: the ones not seen before are this window's.
      const markCompacts = seeds.traceGc
        ? server
            .output()
            .split('\n')
            .filter((line) => line.includes('Mark-Compact') && !traceSeen.has(line))
        : [];
      for (const line of markCompacts) traceSeen.add(line);
      const window: SeedsWindow = {
        chatPerSec,
        durationMs,
        sent,
        acked,
        errors: errorText,
        latency,
        delivered,
        eldMaxMs,
        eldP99Ms: round(max((s) => s.eldP99Ms), 2),
        gcMaxMs: round(max((s) => s.gcMaxMs), 2),
        majorGcs: samples.reduce((total, s) => total + s.majorCount, 0),
        majorGcMaxMs: round(max((s) => s.majorMaxMs), 2),
        gcMsPerSec: round(samples.reduce((total, s) => total + s.gcTotalMs, 0) / Math.max(1, samples.length), 2),
        rssStartMb: samples.length ? mb((samples[0] as ProbeSample).rss) : Number.NaN,
        rssEndMb: samples.length ? mb((samples.at(-1) as ProbeSample).rss) : Number.NaN,
        rssMaxMb: mb(max((s) => s.rss)),
        serverCoreShare: round(cpuMs / wallMs),
        loadCoreShare: round(stats.maxWorkerCoreShare),
        cpuUsPerDelivery: deliveries > 0 ? round((cpuMs * 1000) / deliveries, 2) : Number.NaN,
        missed,
        markCompacts,
      };
      ctx.log(
        `    ${chatPerSec} chat/s for ${durationMs / 1000} s: p99 chat ${latency.chat.p99}, ack ${latency.ack.p99}, typing ${latency.typing.p99}, presence ${latency.presence.p99}, receipts ${latency.receipts.p99} ms; ELD max ${eldMaxMs} ms, GC max ${window.gcMaxMs} ms (${window.majorGcs} mark-compact), RSS ${window.rssStartMb} -> ${window.rssEndMb} MB, server ${Math.round(window.serverCoreShare * 100)}%${missed.length ? `; missed: ${missed.join(', ')}` : ''}`,
      );
      return window;
    };

    let prefill: SeedsRun['prefill'] = null;
    if (target === 'tavern' && seeds.prefillPerRoom > 0) {
      const perClient = Math.ceil(seeds.prefillPerRoom / seeds.roomSize);
      const fills = await Promise.all(workers.map((worker) => worker.call('fill', { perClient, concurrency: 50, tag: `${tag}-fill`, timeoutMs: requestTimeoutMs })));
      const acked = fills.reduce((sum, fill) => sum + fill.acked, 0);
      const failed = fills.reduce((sum, fill) => sum + fill.failed, 0);
      const elapsedMs = Math.max(...fills.map((fill) => fill.elapsedMs));
      if (failed > 0) throw new Error(`${server.label}: ${failed} of the prefill's sends failed: ${fills.map((fill) => describeErrors(fill.errors)).join('; ')}`);
      prefill = { messages: acked, elapsedMs: round(elapsedMs, 0) };
      ctx.log(`    prefilled ${acked} messages (${perClient * seeds.roomSize} per room) in ${Math.round(elapsedMs / 1000)} s`);
    }
    const warmStart = Date.now();
    await measure(seeds.chatPerSec, seeds.warmupMs);
    const windowStart = Date.now();
    const window = await measure(seeds.chatPerSec, seeds.durationMs);
    const ramp: SeedsWindow[] = [];
    for (const rate of seeds.rampChatPerSec) {
      let step = await measure(rate, seeds.rampStepMs);
      // One stall (a neighbour on the core) should not end the ramp: a miss on latency alone runs once more.
      if (step.missed.length > 0 && step.errors === 'none' && step.delivered.chat >= 1) step = await measure(rate, seeds.rampStepMs);
      ramp.push(step);
      if (step.missed.length > 0) break;
    }
    const held = ramp.filter((step) => step.missed.length === 0).map((step) => step.chatPerSec);
    const shutdownMs = round(await server.terminate(SHUTDOWN_LIMIT_MS), 0);
    ctx.log(`    shut down with ${connections} clients in ${shutdownMs} ms`);
    const memory = readProbe(probeFile)
      .filter((sample) => sample.t >= warmStart)
      .filter((_, index) => index % 5 === 4)
      .map((sample) => ({ s: Math.round((sample.t - windowStart) / 1000), rssMb: mb(sample.rss), heapMb: mb(sample.heapUsed) }));
    return {
      target: server.label,
      repeat,
      connections,
      rooms,
      channelKind: channels.kind,
      backend: redis ? 'redis' : 'memory',
      connectMs: round(connectMs, 0),
      joinMs: round(joinMs, 0),
      connectJoinCpuUs: round(((joinedCpu - connectCpu) * 1000) / connections, 0),
      prefill,
      window,
      ramp,
      maxHoldingChatPerSec: seeds.rampChatPerSec.length === 0 ? Number.NaN : held.length ? Math.max(...held) : 0,
      pastHolding: pastHolding(window, ramp),
      shutdownMs,
      memory,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first ramp step that missed, against the step before it (the measured window for the first). */
function pastHolding(window: SeedsWindow, ramp: readonly SeedsWindow[]): SeedsRun['pastHolding'] {
  const index = ramp.findIndex((step) => step.missed.length > 0);
  if (index < 0) return null;
  const step = ramp[index] as SeedsWindow;
  const before = index === 0 ? window : (ramp[index - 1] as SeedsWindow);
  return {
    chatPerSec: step.chatPerSec,
    p99Ratio: round(step.latency.chat.p99 / before.latency.chat.p99, 2),
    rssGrowthPct: round((step.rssEndMb / step.rssStartMb - 1) * 100, 1),
  };
}

function workersOf(ctx: SuiteContext, count: number): { workers: Worker[] } & AsyncDisposable {
  const workers = Array.from({ length: count }, (_, index) => Worker.start(`seeds-${index}`, ctx.layout.load));
  return {
    workers,
    async [Symbol.asyncDispose]() {
      await Promise.all(workers.map((worker) => worker.stop()));
    },
  };
}
