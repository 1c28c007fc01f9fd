/**
 * The commands the orchestrator sends a load-generator worker over IPC, and their results.
 * One worker holds many clients; every figure it reports is merged by the orchestrator.
 */
import type { HistogramData } from './histogram.js';

export interface ClientSpec {
  userId: string;
  /** `http://127.0.0.1:<port>` of the node this client talks to. */
  url: string;
  /** Latencies are kept per group (for example `local` / `remote` node). */
  group?: string;
  name?: string;
  cid?: string;
  guilds?: string[];
  /** The chat channel this client joins and sends to. */
  channelId?: string;
  /** Probes parse what others only count (positions in a snapshot). */
  probe?: boolean;
}

export interface ErrorTally {
  /** code -> count */
  counts: Record<string, number>;
  /** The first few messages, for the report. */
  samples: string[];
}

export interface ConnectArgs {
  clients: ClientSpec[];
  secret: string;
  /** Handshakes in flight at once (closed loop). */
  concurrency: number;
  timeoutMs: number;
  /** Instead: start one handshake every 1/ratePerSec s, whatever is in flight (open loop). */
  ratePerSec?: number;
}
export interface ConnectResult {
  connected: number;
  failed: number;
  errors: ErrorTally;
  elapsedMs: number;
}

export interface RequestAllArgs {
  event: string;
  /** The same payload for every client, or `channel` to send `{ channelId: spec.channelId, ...extra }`. */
  payload: { kind: 'same'; value: unknown } | { kind: 'channel'; extra?: Record<string, unknown> };
  concurrency: number;
  timeoutMs: number;
  /** Keep each client's `zone:enter` answer for `move`. */
  keepZone?: boolean;
}
export interface RequestAllResult {
  ok: number;
  failed: number;
  errors: ErrorTally;
  elapsedMs: number;
  /** The data of the first successful ack (to learn, for example, a zone's size). */
  firstData: unknown;
}

export interface OpenLoopArgs {
  /** Index of the sending client in this worker. */
  client: number;
  channelId: string;
  ratePerSec: number;
  durationMs: number;
  /** Stop sending while this many acks are outstanding (a safety bound, not a pacing tool). */
  maxInFlight: number;
  /** How long to wait for the last acks after sending stops. */
  drainMs: number;
  tag: string;
}
export interface SendResult {
  sent: number;
  acked: number;
  failed: number;
  unacked: number;
  errors: ErrorTally;
  ack: HistogramData;
  elapsedMs: number;
}

export interface ClosedLoopArgs {
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  tag: string;
}

/** Sends at a fixed total rate, round-robin over every client, each with at most one in flight. */
export interface PacedArgs {
  ratePerSec: number;
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  tag: string;
}

export interface MoveArgs {
  hz: number;
  durationMs: number;
}
export interface MoveResult {
  moves: number;
  skipped: number;
}

export interface SoakArgs {
  durationMs: number;
  /** Connections closed and reopened per second. */
  churnPerSec: number;
  /** Chat messages per second over all connected clients (0: no chat). */
  chatPerSec: number;
  secret: string;
  timeoutMs: number;
}
export interface SoakResult {
  reconnects: number;
  reconnectFailures: number;
  sent: number;
  acked: number;
  failed: number;
  unacked: number;
  errors: ErrorTally;
}

export interface CreateRoomsArgs {
  /** Index of the creating client in this worker. */
  client: number;
  count: number;
  namePrefix: string;
  timeoutMs: number;
}
export interface CreateRoomsResult {
  channelIds: string[];
  errors: ErrorTally;
}

/**
 * The seeds scenario's mixed load over every client of a worker (each a member of its
 * `channelId`): `chat:send`, `chat:typing` starts (each stopped `typingHoldMs` later, so two
 * signals), `presence:set` (away and back) and `chat:read`, each kind at its own total rate
 * (open loop), from random clients.
 */
export interface MixArgs {
  durationMs: number;
  chatPerSec: number;
  /** Typing signals per second, starts and stops together. */
  typingPerSec: number;
  typingHoldMs: number;
  presencePerSec: number;
  readPerSec: number;
  drainMs: number;
  tag: string;
}
export interface MixResult {
  sent: { chat: number; typing: number; presence: number; read: number };
  acked: { chat: number; presence: number; read: number };
  failed: number;
  unacked: number;
  errors: ErrorTally;
  ack: { chat: HistogramData; presence: HistogramData; read: HistogramData };
  elapsedMs: number;
}

/** Fills the chat history before the seeds mix: `perClient` sends from each member, `concurrency` in flight. */
export interface FillArgs {
  perClient: number;
  concurrency: number;
  tag: string;
  timeoutMs: number;
}
export interface FillResult {
  acked: number;
  failed: number;
  errors: ErrorTally;
  elapsedMs: number;
}

/** What the seeds mix's clients received since the last reset (chat messages are in `stats`). */
export interface MixStats {
  typing: HistogramData;
  presence: HistogramData;
  receipts: HistogramData;
  /** Events whose sender this worker did not see (no latency recorded). */
  unmatched: number;
}

export interface WorkerStats {
  /** chat:message latencies (send timestamp in the content -> arrival), per client group. */
  latency: Record<string, HistogramData>;
  chatMessages: number;
  chatMessagesByGroup: Record<string, number>;
  snapshots: number;
  probeSnapshots: number;
  probePositions: number;
  moved: number;
  /** `character:correction`: moves the server refused. */
  corrections: number;
  otherEvents: number;
  /** `error`, `rate:limited` and `session:ended` events, and connections the server closed. */
  errors: ErrorTally;
  serverCloses: number;
  openClients: number;
  /** This worker's CPU time since the last reset, ms. */
  cpuMs: number;
  wallMs: number;
}

export interface WorkerCommands {
  connect: [ConnectArgs, ConnectResult];
  requestAll: [RequestAllArgs, RequestAllResult];
  openLoop: [OpenLoopArgs, SendResult];
  closedLoop: [ClosedLoopArgs, SendResult];
  paced: [PacedArgs, SendResult];
  move: [MoveArgs, MoveResult];
  createRooms: [CreateRoomsArgs, CreateRoomsResult];
  soak: [SoakArgs, SoakResult];
  reset: [Record<string, never>, null];
  stats: [Record<string, never>, WorkerStats];
  closeAll: [Record<string, never>, null];
  mix: [MixArgs, MixResult];
  mixStats: [Record<string, never>, MixStats];
  fill: [FillArgs, FillResult];
}

export function emptyTally(): ErrorTally {
  return { counts: {}, samples: [] };
}

export function tally(errors: ErrorTally, code: string, message: string): void {
  errors.counts[code] = (errors.counts[code] ?? 0) + 1;
  if (errors.samples.length < 5) errors.samples.push(`${code}: ${message}`.slice(0, 300));
}

export function mergeTally(into: ErrorTally, from: ErrorTally): void {
  for (const [code, count] of Object.entries(from.counts)) into.counts[code] = (into.counts[code] ?? 0) + count;
  for (const sample of from.samples) if (into.samples.length < 5) into.samples.push(sample);
}

export function tallyTotal(errors: ErrorTally): number {
  return Object.values(errors.counts).reduce((sum, count) => sum + count, 0);
}
