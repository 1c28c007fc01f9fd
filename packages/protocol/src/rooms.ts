/** The zod schema of a chat channel id; the room-name helpers are in `room-names.ts` (zod-free). */
import { z } from 'zod';
import { isChannelKind, parseRoom } from './room-names.js';

export * from './room-names.js';

/** A chat channel id: `zone:…`, `guild:…`, `party:…`, `lobby:…`, `room:…`, `dm:a:b` or `global:main`. */
export const ChannelId = z
  .string()
  .max(140)
  .refine((value) => {
    const parsed = parseRoom(value);
    return parsed !== null && isChannelKind(parsed.kind);
  }, 'a channel id is kind:id with kind one of zone, guild, party, lobby, room, dm, global');
export type ChannelId = z.infer<typeof ChannelId>;
