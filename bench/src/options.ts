/**
 * Sizes, rates and durations of a run. `full` is issue 7's suite, `smoke` the seconds-long
 * version CI runs so the benchmarks cannot rot, `soak` the churn run (a warm-up, then 10 measured minutes). Every run
 * is bounded: fixed counts, fixed step durations, and a per-request timeout.
 */
import { join } from 'node:path';
import type { RedisClusterShape, RedisKind } from './processes/redis.js';
import { benchRoot } from './processes/spawn.js';

export const SCENARIOS = ['idle', 'fanout', 'ack', 'zone', 'cluster', 'soak', 'rooms', 'seeds'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface SuiteOptions {
  mode: 'full' | 'smoke' | 'soak';
  scenarios: ScenarioId[];
  /** Which servers to measure (both unless `--targets` says otherwise). */
  targets: ('tavern' | 'raw')[];
  /** Each target measured this many times, interleaved: Tavern, raw, Tavern, raw, … */
  repeats: number;
  idle: {
    sizes: number[];
    /** Handshakes in flight at once. */
    concurrency: number;
    /** Connections made (and kept) before the baseline RSS is read. */
    warmup: number;
    /** RSS is read every this many ms until two readings agree (at most 10 readings). */
    settleMs: number;
    /**
     * After the closed loop: this many more handshakes started at a fixed rate (open loop),
     * with the others still open, for the server's CPU per handshake at equal load.
     */
    paced: { perSec: number; count: number };
  };
  fanout: {
    sizes: number[];
    /** Stepped load, as deliveries per second (send rate = deliveries / receivers). */
    deliveriesSteps: number[];
    /** The fixed load at which p50/p99 are reported, in deliveries per second. */
    fixedDeliveries: number;
    stepMs: number;
    p99LimitMs: number;
  };
  ack: {
    configs: { channels: number; members: number }[];
    warmupMs: number;
    durationMs: number;
    /** After the closed loop: sends per second at a fixed rate (open loop), for CPU per ack. */
    pacedPerSec: number;
  };
  zone: { zoneId: string; players: number; hz: number; warmupMs: number; durationMs: number; probeEvery: number };
  cluster: {
    members: number;
    deliveriesSteps: number[];
    fixedDeliveries: number;
    stepMs: number;
    /** What the nodes share: one redis-server, a Redis Cluster, or each in turn (`--cluster-redis`). */
    redis: RedisKind[];
    /** The Redis Cluster's masters and replicas per master (`--cluster-replicas`). */
    shape: RedisClusterShape;
  };
  rooms: {
    /** Each size runs on Tavern and on Colyseus. */
    configs: { rooms: number; players: number }[];
    /** Inputs per second per player. */
    inputHz: number;
    /** Bots seated at once while the rooms fill. */
    joinConcurrency: number;
    warmupMs: number;
    durationMs: number;
    /** The bots keep playing this long after the window, so that its last inputs are seen. */
    tailMs: number;
  };
  soak: {
    /** The measured window; the run lasts `warmupMs` longer. */
    durationMs: number;
    sampleMs: number;
    clients: number;
    channels: number;
    churnPerSec: number;
    chatPerSec: number;
    /** Before the window: long enough for every bounded store to reach its bound (see `soakWarmupMs`). */
    warmupMs: number;
  };
  /** Scenario 8 (issue 22): the seeds' mixed load on N connections in rooms of `roomSize`. */
  seeds: {
    connections: number;
    roomSize: number;
    chatPerSec: number;
    /** Typing signals per second (a start and, `typingHoldMs` later, its stop). */
    typingPerSec: number;
    typingHoldMs: number;
    presencePerSec: number;
    readPerSec: number;
    warmupMs: number;
    durationMs: number;
    /** Load-generator processes; each holds whole rooms. */
    workers: number;
    /** Tavern over a fresh redis-server instead of in memory. */
    redis: boolean;
    /** Chat rates of the ramp after the measured window (the other rates stay); empty: no ramp. */
    rampChatPerSec: number[];
    rampStepMs: number;
    /**
     * Chat messages per room sent before the warm-up (closed loop), so that the window runs
     * with a retained history (the default retention is 1,000 per channel). Tavern only: the
     * raw server keeps nothing.
     */
    prefillPerRoom: number;
    /** Both servers with `--trace-gc` (mark-compact lines only), kept per window. */
    traceGc: boolean;
  };
  /** Write a CPU profile of every server process (Tavern and raw) into this folder (`--profile DIR`). */
  profileDir: string | null;
  /** Extra environment for every Tavern process (`--tavern-env KEY=VALUE`). */
  tavernEnv: Record<string, string>;
  /** Where latest.md, latest.json and the chart go. */
  outDir: string;
  /** Run Tavern from source when it is not built (smoke test only). */
  allowSource: boolean;
  /** Any single request (a join, an ack during setup) waits at most this long. */
  requestTimeoutMs: number;
}

/** The server's default chat history kept per channel (the chat feature's `retention` setting; a test holds them equal). */
export const CHAT_RETENTION = 1_000;

/**
 * After the history is full, V8 still grows its old generation for a while before its size
 * settles. In a 29-minute soak (2026-11-23) the live heap (heap snapshots) and the heap in use
 * were flat from the moment the history was full, while RSS followed the old generation's
 * committed size up to about 450 s after that and then stayed within 5 MB for 10 minutes.
 */
export const V8_SETTLE_MS = 8 * 60_000;

/**
 * The soak's warm-up: until every channel's retained history is full (it grows by design
 * until then, which is not a leak), then until V8's heap has settled.
 */
export function soakWarmupMs(soak: { channels: number; chatPerSec: number }): number {
  return Math.ceil((soak.channels * CHAT_RETENTION) / soak.chatPerSec) * 1_000 + V8_SETTLE_MS;
}

// 10k apart up to 80k, where a 1,000-member room tops out on 2 cores: one step there is a ratio of 0.67 or 1.0.
const STEPS = [10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 100_000, 130_000, 160_000, 200_000, 250_000, 300_000];

export function fullOptions(): SuiteOptions {
  return {
    mode: 'full',
    scenarios: ['idle', 'fanout', 'ack', 'zone', 'cluster', 'rooms', 'seeds'],
    targets: ['tavern', 'raw'],
    repeats: 2,
    idle: { sizes: [5_000, 10_000], concurrency: 200, warmup: 100, settleMs: 500, paced: { perSec: 400, count: 1_200 } },
    fanout: { sizes: [1_000, 5_000], deliveriesSteps: STEPS, fixedDeliveries: 20_000, stepMs: 4_000, p99LimitMs: 100 },
    ack: {
      configs: [
        { channels: 500, members: 2 },
        { channels: 100, members: 10 },
      ],
      warmupMs: 1_000,
      durationMs: 5_000,
      // Below what either server acks in the closed loop at both shapes on 2 cores.
      pacedPerSec: 1_500,
    },
    zone: { zoneId: 'tavern-district', players: 1_000, hz: 10, warmupMs: 2_000, durationMs: 5_000, probeEvery: 50 },
    cluster: { members: 1_000, deliveriesSteps: STEPS, fixedDeliveries: 20_000, stepMs: 4_000, redis: ['single', 'cluster'], shape: { masters: 3, replicas: 1 } },
    rooms: {
      configs: [
        { rooms: 100, players: 8 },
        { rooms: 10, players: 64 },
      ],
      inputHz: 10,
      joinConcurrency: 20,
      warmupMs: 2_000,
      durationMs: 5_000,
      tailMs: 300,
    },
    soak: { durationMs: 10 * 60_000, sampleMs: 10_000, clients: 1_000, channels: 20, churnPerSec: 10, chatPerSec: 100, warmupMs: soakWarmupMs({ channels: 20, chatPerSec: 100 }) },
    seeds: {
      connections: 10_000,
      roomSize: 10,
      chatPerSec: 1_000,
      typingPerSec: 200,
      typingHoldMs: 1_000,
      presencePerSec: 20,
      readPerSec: 100,
      warmupMs: 15_000,
      durationMs: 60_000,
      workers: 2,
      redis: false,
      rampChatPerSec: [1_000, 1_500, 2_000, 3_000, 4_000],
      rampStepMs: 15_000,
      prefillPerRoom: 0,
      traceGc: false,
    },
    profileDir: null,
    tavernEnv: {},
    outDir: join(benchRoot, 'results'),
    allowSource: false,
    requestTimeoutMs: 60_000,
  };
}

export function smokeOptions(): SuiteOptions {
  const full = fullOptions();
  return {
    ...full,
    mode: 'smoke',
    scenarios: ['idle', 'fanout', 'ack', 'zone', 'cluster', 'soak', 'rooms', 'seeds'],
    repeats: 1,
    idle: { sizes: [40], concurrency: 20, warmup: 5, settleMs: 100, paced: { perSec: 50, count: 10 } },
    fanout: { sizes: [10], deliveriesSteps: [180], fixedDeliveries: 90, stepMs: 300, p99LimitMs: 100 },
    ack: { configs: [{ channels: 5, members: 2 }], warmupMs: 100, durationMs: 300, pacedPerSec: 20 },
    zone: { ...full.zone, players: 6, warmupMs: 250, durationMs: 300, probeEvery: 2 },
    cluster: { ...full.cluster, members: 10, deliveriesSteps: [90], fixedDeliveries: 90, stepMs: 300 },
    rooms: { ...full.rooms, configs: [{ rooms: 2, players: 3 }], warmupMs: 300, durationMs: 500, tailMs: 200 },
    soak: { ...full.soak, durationMs: 2_000, sampleMs: 500, clients: 20, channels: 2, churnPerSec: 3, chatPerSec: 5, warmupMs: 500 },
    seeds: {
      ...full.seeds,
      connections: 40,
      chatPerSec: 20,
      typingPerSec: 10,
      typingHoldMs: 200,
      presencePerSec: 4,
      readPerSec: 6,
      warmupMs: 300,
      durationMs: 1_500,
      rampChatPerSec: [20, 40],
      rampStepMs: 500,
      prefillPerRoom: 10,
    },
    outDir: '',
    allowSource: true,
    requestTimeoutMs: 20_000,
  };
}

/**
 * The soak: scenario 6 (churn, Tavern alone), then the seeds' mixed load (scenario 8) held for
 * the same 10 minutes against Tavern and raw Socket.IO, without its ramp: a window long enough
 * to hold several of either server's mark-compact cycles, which a 60-s window may miss.
 */
export function soakOptions(): SuiteOptions {
  const full = fullOptions();
  return { ...full, mode: 'soak', scenarios: ['soak', 'seeds'], repeats: 1, seeds: { ...full.seeds, durationMs: full.soak.durationMs, rampChatPerSec: [] } };
}
