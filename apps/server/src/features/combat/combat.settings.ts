/** Combat settings and the variables that set them. */
import { z } from 'zod';
import { envNumber, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /** A player's turn resolves as `defend` after this long (ms). */
  turnMs: z.number().int().min(100).max(600_000).default(15_000),
  /** How often each node looks for turns past their deadline (ms). */
  sweepMs: z.number().int().min(10).max(10_000).default(250),
});

export const combatSettings = {
  schema,
  env: {
    COMBAT_TURN_MS: { key: 'turnMs', parse: envNumber },
    COMBAT_SWEEP_MS: { key: 'sweepMs', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
