/** Lobby settings and the variables that set them. */
import { z } from 'zod';
import { envNumber, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /**
   * A member whose last socket closed stays in their lobbies this long (ms), so a reconnect
   * (a reload, a network change) keeps the seat; then they leave as with `lobby:leave`.
   */
  graceMs: z.number().int().min(0).max(3_600_000).default(30_000),
  /**
   * A lobby is gone this long (ms) after its last change or a member's `lobby:subscribe`. An
   * hour: longer than a lobby sits forming with nobody acting, short enough that lobbies nobody
   * left (their node crashed, so no leave ran) do not pile up in Redis. A game in progress
   * writes nothing to its lobby: a client that needs it past an hour subscribes again.
   */
  ttlMs: z.number().int().min(1_000).max(30 * 24 * 3600 * 1000).default(3_600_000),
});

export const lobbySettings = {
  schema,
  env: {
    LOBBY_GRACE_MS: { key: 'graceMs', parse: envNumber },
    LOBBY_TTL_MS: { key: 'ttlMs', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
