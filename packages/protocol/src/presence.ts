import { z } from 'zod';
import { Empty, Id, PresenceStatus, Timestamp } from './common.js';
import { command, defineSlice, event } from './define.js';

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
  'presence:set': command(PresenceSetPayload, PresenceSetResult, { description: 'Sets your own status (`offline` is only ever derived) and an optional activity.' }),
  'presence:get': command(PresenceGetPayload, PresenceListResult, { description: 'Reads the current presence of up to 100 users.' }),
  'presence:subscribe': command(PresenceSubscribePayload, PresenceListResult, { description: 'Watches up to 500 users: answers their presence now, then sends `presence:changed`.' }),
  'presence:unsubscribe': command(PresenceUnsubscribePayload, Empty, { description: 'Stops watching users.' }),
};

export const presenceServerEvents = {
  'presence:changed': event(Presence, 'A watched user changed status or activity.'),
};

export const presenceSlice = defineSlice({
  id: 'presence',
  title: 'Presence',
  description: 'Online status of users: `online` `away` `busy` `invisible` `offline`.',
  commands: presenceCommands,
  serverEvents: presenceServerEvents,
});
