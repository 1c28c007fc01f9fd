/** Game-room quotas for the whole node, and the variables that set them. */
import { z } from 'zod';
import { envNumber, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /** Rooms this node runs at once; a create beyond it is refused `LIMIT_EXCEEDED`. */
  maxRooms: z.number().int().min(1).max(100_000).default(1_000),
  /** Rooms one user may have created that still run; beyond it `LIMIT_EXCEEDED`. */
  maxRoomsPerUser: z.number().int().min(1).max(1_000).default(3),
  /** Seats one user may hold at once (kept seats of dropped connections included). */
  maxSeatsPerUser: z.number().int().min(1).max(1_000).default(5),
  /** Unclaimed seat reservations this node keeps at once. */
  maxReservations: z.number().int().min(1).max(1_000_000).default(10_000),
});

export const gameRoomSettings = {
  schema,
  env: {
    GAME_ROOMS_MAX: { key: 'maxRooms', parse: envNumber },
    GAME_ROOMS_MAX_PER_USER: { key: 'maxRoomsPerUser', parse: envNumber },
    GAME_ROOMS_MAX_SEATS_PER_USER: { key: 'maxSeatsPerUser', parse: envNumber },
    GAME_ROOMS_MAX_RESERVATIONS: { key: 'maxReservations', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
