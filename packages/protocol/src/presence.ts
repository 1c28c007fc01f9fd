import { z } from 'zod';
import { Empty, Id, PresenceStatus, Timestamp } from './common.js';
import { command } from './define.js';

export const Presence = z.object({
  userId: Id,
  status: PresenceStatus,
  lastSeen: Timestamp.nullable(),
  activity: z.string().max(64).optional(),
});
export type Presence = z.infer<typeof Presence>;

/** The statuses a user may choose; `offline` is only ever derived. */
export const SettableStatus = z.enum(['online', 'away', 'busy', 'invisible']);

export const PresenceSetPayload = z.object({
  status: SettableStatus,
  activity: z.string().max(64).optional(),
});
export const PresenceSetResult = z.object({ status: SettableStatus });

export const PresenceGetPayload = z.object({ userIds: z.array(Id).min(1).max(100) });
export const PresenceSubscribePayload = z.object({ userIds: z.array(Id).min(1).max(500) });
export const PresenceUnsubscribePayload = z.object({ userIds: z.array(Id).min(1).max(500) });
export const PresenceListResult = z.object({ presences: z.array(Presence) });

export const presenceCommands = {
  'presence:set': command(PresenceSetPayload, PresenceSetResult),
  'presence:get': command(PresenceGetPayload, PresenceListResult),
  'presence:subscribe': command(PresenceSubscribePayload, PresenceListResult),
  'presence:unsubscribe': command(PresenceUnsubscribePayload, Empty),
};

export const presenceServerEvents = {
  'presence:changed': Presence,
};
