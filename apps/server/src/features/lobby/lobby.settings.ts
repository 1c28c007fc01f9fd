/** Lobby settings and the variables that set them. */
import { z } from 'zod';
import { envNumber, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /**
   * A member whose last socket closed stays in their lobbies this long (ms), so a reconnect
   * (a reload, a network change) keeps the seat; then they leave as with `lobby:leave`.
   */
  graceMs: z.number().int().min(0).max(3_600_000).default(30_000),
});

export const lobbySettings = {
  schema,
  env: {
    LOBBY_GRACE_MS: { key: 'graceMs', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
