/** Party settings and the variables that set them. */
import { z } from 'zod';
import { envNumber, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /**
   * A party is gone this long (ms) after its last change, invite, or a member connecting or
   * disconnecting, and its members are then in no party. A day: friends who play every evening
   * keep theirs, while a party whose members never come back (or whose node crashed, so that
   * nobody left it) does not stay in Redis.
   */
  ttlMs: z.number().int().min(1_000).max(30 * 24 * 3600 * 1000).default(24 * 3600 * 1000),
});

export const partySettings = {
  schema,
  env: {
    PARTY_TTL_MS: { key: 'ttlMs', parse: envNumber },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
