/** World settings and the variables that set them. */
import { z } from 'zod';
import { envNumber, type SettingsSpec } from '../../api.js';
import { DEFAULT_ZONES, Zones, zonesFile } from './zones.js';

const schema = z.object({
  /** The zones (see zones.ts); `WORLD_ZONES_FILE` names a JSON file of them. @default the built-in set */
  zones: Zones.default(DEFAULT_ZONES),
  /** Snapshot interval (ms): moves are batched into one `zone:snapshot` per zone per tick. */
  tickMs: z.number().int().min(16).max(5_000).default(100),
});

export const worldSettings = {
  schema,
  env: {
    WORLD_ZONES_FILE: { key: 'zones', parse: zonesFile },
    WORLD_TICK_MS: { key: 'tickMs', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
