/** Presence settings and the variables that set them. */
import { z } from 'zod';
import { envNumber, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /** A user with no socket left is announced offline after this long (ms). */
  graceMs: z.number().int().min(0).max(3_600_000).default(10_000),
  /** No client event for this long turns an online user away (ms; 0: never). */
  awayAfterMs: z.number().int().min(0).max(86_400_000).default(300_000),
  /** How often each node looks for idle users (ms). */
  awayCheckMs: z.number().int().min(100).max(3_600_000).default(30_000),
  /** Users one connection may watch at once with `presence:subscribe`. */
  maxWatched: z.number().int().min(1).max(100_000).default(1_000),
  /**
   * User ids per second one connection may ask about with `presence:subscribe` and
   * `presence:get` (a budget of twice that in a burst); beyond it `RATE_LIMITED`.
   */
  idsPerSec: z.number().int().min(1).max(1_000_000).default(500),
});

export const presenceSettings = {
  schema,
  env: {
    PRESENCE_GRACE_MS: { key: 'graceMs', parse: envNumber },
    PRESENCE_AWAY_AFTER_MS: { key: 'awayAfterMs', parse: envNumber },
    PRESENCE_AWAY_CHECK_MS: { key: 'awayCheckMs', parse: envNumber },
    PRESENCE_MAX_WATCHED: { key: 'maxWatched', parse: envNumber },
    PRESENCE_IDS_PER_SEC: { key: 'idsPerSec', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
