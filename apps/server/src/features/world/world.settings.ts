/** World settings and the variables that set them. */
import { z } from 'zod';
import { envNumber, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /** JSON file with the zones (see zones.ts), or null for the built-in set. */
  zonesFile: z.string().min(1).nullable().default(null),
  /** Snapshot interval (ms): moves are batched into one `zone:snapshot` per zone per tick. */
  tickMs: z.number().int().min(16).max(5_000).default(100),
});

export const worldSettings = {
  schema,
  env: {
    WORLD_ZONES_FILE: { key: 'zonesFile', parse: z.string().min(1) },
    WORLD_TICK_MS: { key: 'tickMs', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
