/** The commands the orchestrator sends the game-room load generator (`rooms-worker.ts`) over IPC, and their results. */
import type { ErrorTally } from './commands.js';
import type { HistogramData } from './histogram.js';

export type RoomsSystem = 'tavern' | 'colyseus';

export interface RoomsJoinArgs {
  system: RoomsSystem;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Tavern's JWT secret (Colyseus takes no token). */
  secret: string;
  /** Prefix of this run's user ids. */
  tag: string;
  rooms: number;
  playersPerRoom: number;
  /** Joins in flight at once. */
  concurrency: number;
  timeoutMs: number;
}
export interface RoomsJoinResult {
  joined: number;
  errors: ErrorTally;
  elapsedMs: number;
}

export interface PlayArgs {
  /** Inputs per second per bot (phases spread over the period). */
  hz: number;
  durationMs: number;
}
export interface PlayResult {
  sent: number;
}

export interface RoomsStats {
  /** Inputs sent since the last reset. */
  inputsSent: number;
  /** Inputs the bots saw applied (score increments of their own player) since the last reset. */
  inputsSeen: number;
  /** Input send → own change in the synced state, for inputs sent since the last reset. */
  latency: HistogramData;
  /** Bytes read from every TCP socket of this process since the last reset. */
  bytesReceived: number;
  /** Patches (Tavern `room:patch` / `room:state`, Colyseus state changes) the bots applied. */
  stateChanges: number;
  errors: ErrorTally;
  /** Bots whose connection or seat ended during the run. */
  dropped: number;
  open: number;
  cpuMs: number;
  wallMs: number;
}

export interface RoomsWorkerCommands {
  join: [RoomsJoinArgs, RoomsJoinResult];
  play: [PlayArgs, PlayResult];
  reset: [Record<string, never>, null];
  stats: [Record<string, never>, RoomsStats];
  closeAll: [Record<string, never>, null];
}
