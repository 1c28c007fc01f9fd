/** Planning-poker settings and the variables that set them. */
import { z } from 'zod';
import { envNumber, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /** A player who dropped stays in the session (`connected: false`, vote kept) this long (ms). */
  graceMs: z.number().int().min(0).max(3_600_000).default(30_000),
  /** Players and observers one session holds; a join beyond it is refused `LIMIT_EXCEEDED`. */
  maxPlayers: z.number().int().min(2).max(10_000).default(100),
  /**
   * A session is gone this long (ms) after its last change (a join, vote, reveal, reset, story,
   * timer, a player dropping). Six hours: a session left idle through a long discussion or a
   * lunch break lives on, while one everybody closed without `poker:leave` (or whose node
   * crashed) does not stay in Redis; a later `poker:join` starts it afresh.
   */
  ttlMs: z.number().int().min(1_000).max(30 * 24 * 3600 * 1000).default(6 * 3600 * 1000),
});

export const pokerSettings = {
  schema,
  env: {
    POKER_GRACE_MS: { key: 'graceMs', parse: envNumber },
    POKER_MAX_PLAYERS: { key: 'maxPlayers', parse: envNumber },
    POKER_TTL_MS: { key: 'ttlMs', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
