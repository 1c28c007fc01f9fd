/**
 * The one way server code (chat, parties, the admin API) notifies users: stored (so an
 * offline user finds it on their next connect), then pushed as `notification:new` and
 * `notification:count` to every socket of the user on every node.
 */
import { rooms, type Notification, type notificationSlice } from '@tavern/protocol';
import { randomId, type EmitTo } from '../../api.js';
import type { NotificationStore } from './notification.store.js';

export interface NewNotification {
  type: string;
  title: string;
  body: string;
  data?: Record<string, unknown>;
}

export class NotificationService {
  constructor(
    private readonly store: NotificationStore,
    private readonly emitTo: EmitTo<typeof notificationSlice>,
    /** @default 200 */
    private readonly keep = 200,
  ) {}

  async notify(userIds: readonly string[], input: NewNotification): Promise<number> {
    const createdAt = Date.now();
    for (const userId of new Set(userIds)) {
      // Ids sort by time, so `beforeId` paging matches creation order.
      const notification: Notification = { id: `${createdAt.toString(36)}-${randomId(6)}`, ...input, createdAt, read: false };
      const unread = await this.store.add(userId, notification, this.keep);
      this.emitTo(rooms.user(userId), 'notification:new', notification);
      this.emitTo(rooms.user(userId), 'notification:count', { unread });
    }
    return new Set(userIds).size;
  }

  list(userId: string, beforeId: string | null, limit: number) {
    return this.store.list(userId, beforeId, limit);
  }

  async markRead(userId: string, ids: readonly string[] | 'all'): Promise<number> {
    const unread = await this.store.markRead(userId, ids);
    this.emitTo(rooms.user(userId), 'notification:count', { unread });
    return unread;
  }

  unread(userId: string): Promise<number> {
    return this.store.unread(userId);
  }
}
