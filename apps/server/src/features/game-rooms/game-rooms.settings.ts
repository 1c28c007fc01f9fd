/** Game-room quotas for the whole node, their cluster timings, and the variables that set them. */
import { z } from 'zod';
import { envNumber, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /** Rooms this node runs at once; a create beyond it is refused `LIMIT_EXCEEDED`. */
  maxRooms: z.number().int().min(1).max(100_000).default(1_000),
  /** Rooms one user may have created that still run (on any node, over Redis); beyond it `LIMIT_EXCEEDED`. */
  maxRoomsPerUser: z.number().int().min(1).max(1_000).default(3),
  /** Seats one user may hold at once (kept seats of dropped connections included; on any node, over Redis). */
  maxSeatsPerUser: z.number().int().min(1).max(1_000).default(5),
  /** Unclaimed seat reservations this node keeps at once. */
  maxReservations: z.number().int().min(1).max(1_000_000).default(10_000),
  /**
   * Over Redis: how long a room's registry entry and checkpoint live without being rewritten
   * (its node rewrites them every checkpoint); at least three node heartbeat TTLs are kept, so
   * that a dead node's rooms are found before their checkpoints expire.
   */
  registryTtlMs: z.number().int().min(1_000).max(86_400_000).default(60_000),
  /** Over Redis: how often a node looks for rooms of dead nodes to restore (ms). */
  restoreSweepMs: z.number().int().min(100).max(60_000).default(1_000),
  /** Over Redis: how long a command forwarded to a room's node waits for its answer (ms). */
  forwardTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  /** A checkpoint larger than this (bytes of JSON) is not saved: the room is then not restorable. */
  maxCheckpointBytes: z.number().int().min(1_024).max(64 * 1024 * 1024).default(1024 * 1024),
});

export const gameRoomSettings = {
  schema,
  env: {
    GAME_ROOMS_MAX: { key: 'maxRooms', parse: envNumber },
    GAME_ROOMS_MAX_PER_USER: { key: 'maxRoomsPerUser', parse: envNumber },
    GAME_ROOMS_MAX_SEATS_PER_USER: { key: 'maxSeatsPerUser', parse: envNumber },
    GAME_ROOMS_MAX_RESERVATIONS: { key: 'maxReservations', parse: envNumber },
    GAME_ROOMS_REGISTRY_TTL_MS: { key: 'registryTtlMs', parse: envNumber },
    GAME_ROOMS_RESTORE_SWEEP_MS: { key: 'restoreSweepMs', parse: envNumber },
    GAME_ROOMS_FORWARD_TIMEOUT_MS: { key: 'forwardTimeoutMs', parse: envNumber },
    GAME_ROOMS_MAX_CHECKPOINT_BYTES: { key: 'maxCheckpointBytes', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
