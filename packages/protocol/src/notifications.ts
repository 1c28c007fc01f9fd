import { z } from 'zod';
import { Id, Timestamp } from './common.js';
import { command, defineSlice, event } from './define.js';

export const Notification = z.object({
  id: Id,
  type: z.string().min(1).max(64),
  title: z.string().min(1).max(200),
  body: z.string().max(2000),
  data: z.record(z.string(), z.unknown()).optional(),
  createdAt: Timestamp,
  read: z.boolean(),
});
export type Notification = z.infer<typeof Notification>;

export const NotificationCount = z.object({ unread: z.number().int().nonnegative() });

export const NotificationListPayload = z.object({
  /** Only notifications older than this one. */
  beforeId: Id.optional(),
  limit: z.number().int().min(1).max(100),
});
export const NotificationListResult = z.object({ notifications: z.array(Notification), hasMore: z.boolean() });

export const NotificationReadPayload = z
  .object({ ids: z.array(Id).min(1).max(100).optional(), all: z.literal(true).optional() })
  .refine((value) => value.ids !== undefined || value.all === true, 'give ids or all: true');

export const notificationCommands = {
  'notification:list': command(NotificationListPayload, NotificationListResult, { description: 'Pages through your notifications, older than `beforeId` when given.' }),
  'notification:read': command(NotificationReadPayload, NotificationCount, { description: 'Marks some or all notifications read; answers the unread count.' }),
};

export const notificationServerEvents = {
  'notification:new': event(Notification, 'A new notification.'),
  'notification:count': event(NotificationCount, 'The unread count, on connect and on every change.'),
};

export const notificationSlice = defineSlice({
  id: 'notification',
  title: 'Notifications',
  description: 'Stored notifications with an unread count; those created while offline are counted on the next connect.',
  commands: notificationCommands,
  serverEvents: notificationServerEvents,
});
