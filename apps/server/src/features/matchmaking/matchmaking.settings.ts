/** Matchmaking settings and the variables that set them. */
import { z } from 'zod';
import { envJson, envNumber, type SettingsSpec } from '../../api.js';

/**
 * The game room a match of a mode ends in: one room per match, a seat reserved for each player.
 * Its defaults are applied where it is used, so `feature.with({ modes })` may leave them out.
 */
const MatchRoom = z.object({
  /** A room type the server runs (`defineRoom`), usually one with `requireReservation`. */
  type: z.string().regex(/^[a-z][a-z0-9-]{0,25}$/, 'a room type is lowercase letters, digits and -, up to 26'),
  /** What the room type's `onCreate` gets, validated by its `options` schema. @default {} */
  options: z.record(z.string().min(1).max(32), z.unknown()).optional(),
  /** How long each player's reservation holds the seat (ms); after it the seat is free again. @default 30000 */
  reservationTtlMs: z.number().int().min(1_000).max(600_000).optional(),
  /** A private room is not in the room list. @default true */
  private: z.boolean().optional(),
});

export type MatchRoomSettings = z.output<typeof MatchRoom>;

const Modes = z.record(
  z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/),
  z.object({
    teamSize: z.number().int().min(1).max(64),
    teams: z.number().int().min(2).max(16),
    /** Without it a match makes a lobby only; with it, also a game room of this type. */
    room: MatchRoom.optional(),
  }),
);

const schema = z.object({
  /**
   * Players per team and teams per match, by mode, and the game room a match of the mode ends
   * in: `{ duel: { teamSize: 1, teams: 2, room: { type: 'duel' } } }`.
   */
  modes: Modes.default({ duel: { teamSize: 1, teams: 2 }, '2v2': { teamSize: 2, teams: 2 }, ffa: { teamSize: 1, teams: 4 } }),
  /** How often the matcher runs (ms), on the one node holding the lease. */
  tickMs: z.number().int().min(10).max(60_000).default(500),
  /** How often each searching player hears `matchmaking:status` (ms). */
  statusIntervalMs: z.number().int().min(100).max(60_000).default(5_000),
  /** Rating difference accepted at first; widened by `widenBy` every `widenEveryMs`. */
  initialWindow: z.number().min(0).default(100),
  widenBy: z.number().min(0).default(100),
  widenEveryMs: z.number().int().min(100).max(3_600_000).default(10_000),
  /**
   * A ticket not matched after this long expires (ms), with `matchmaking:expired`. The store
   * drops it by itself after twice this plus `leaseMs`, even when no node runs the matcher.
   */
  expireAfterMs: z.number().int().min(1_000).max(3_600_000).default(120_000),
  /** The matcher lease (ms): another node takes over this long after its holder stops renewing. */
  leaseMs: z.number().int().min(500).max(60_000).default(3_000),
});

export const matchmakingSettings = {
  schema,
  env: {
    MATCHMAKING_MODES: { key: 'modes', parse: envJson(Modes, '{"duel":{"teamSize":1,"teams":2}}') },
    MATCHMAKING_TICK_MS: { key: 'tickMs', parse: envNumber },
    MATCHMAKING_STATUS_MS: { key: 'statusIntervalMs', parse: envNumber },
    MATCHMAKING_INITIAL_WINDOW: { key: 'initialWindow', parse: envNumber },
    MATCHMAKING_WIDEN_BY: { key: 'widenBy', parse: envNumber },
    MATCHMAKING_WIDEN_EVERY_MS: { key: 'widenEveryMs', parse: envNumber },
    MATCHMAKING_EXPIRE_MS: { key: 'expireAfterMs', parse: envNumber },
    MATCHMAKING_LEASE_MS: { key: 'leaseMs', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
