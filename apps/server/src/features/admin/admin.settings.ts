/** Admin settings and the variable that sets them. */
import { z } from 'zod';
import { envBool, type SettingsSpec } from '../../api.js';

const schema = z.object({
  /** Serve the admin dashboard page at `/admin` (static; its data comes from the admin API and needs an admin token). */
  dashboard: z.boolean().default(true),
});

export const adminSettings = {
  schema,
  env: {
    ADMIN_DASHBOARD: { key: 'dashboard', parse: envBool },
  },
} satisfies SettingsSpec<z.output<typeof schema>>;
