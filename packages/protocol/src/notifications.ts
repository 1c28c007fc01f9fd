import { z } from 'zod';
import { Id, Timestamp } from './common.js';
import { command } from './define.js';

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
  'notification:list': command(NotificationListPayload, NotificationListResult),
  'notification:read': command(NotificationReadPayload, NotificationCount),
};

export const notificationServerEvents = {
  'notification:new': Notification,
  'notification:count': NotificationCount,
};
