/** Notifications per user: the newest `keep` (default 200), with an unread set. */
import type { Notification } from '@tavern/protocol';
import type { RedisConnections } from '../../api.js';

export interface NotificationStore {
  add(userId: string, notification: Notification, keep: number): Promise<number>;
  /** Newest first, older than `beforeId` when given. */
  list(userId: string, beforeId: string | null, limit: number): Promise<{ notifications: Notification[]; hasMore: boolean }>;
  /** Marks read; returns the unread count. */
  markRead(userId: string, ids: readonly string[] | 'all'): Promise<number>;
  unread(userId: string): Promise<number>;
}

export class MemoryNotificationStore implements NotificationStore {
  private readonly users = new Map<string, { items: Notification[]; unread: Set<string> }>();

  private of(userId: string) {
    let entry = this.users.get(userId);
    if (!entry) this.users.set(userId, (entry = { items: [], unread: new Set() }));
    return entry;
  }

  async add(userId: string, notification: Notification, keep: number): Promise<number> {
    const entry = this.of(userId);
    entry.items.unshift(notification);
    entry.unread.add(notification.id);
    for (const dropped of entry.items.splice(keep)) entry.unread.delete(dropped.id);
    return entry.unread.size;
  }

  async list(userId: string, beforeId: string | null, limit: number) {
    const entry = this.of(userId);
    const start = beforeId === null ? 0 : entry.items.findIndex((item) => item.id === beforeId) + 1;
    if (beforeId !== null && start === 0) return { notifications: [], hasMore: false };
    const page = entry.items.slice(start, start + limit).map((item) => ({ ...item, read: !entry.unread.has(item.id) }));
    return { notifications: page, hasMore: entry.items.length > start + limit };
  }

  async markRead(userId: string, ids: readonly string[] | 'all'): Promise<number> {
    const entry = this.of(userId);
    if (ids === 'all') entry.unread.clear();
    else for (const id of ids) entry.unread.delete(id);
    return entry.unread.size;
  }

  async unread(userId: string): Promise<number> {
    return this.of(userId).unread.size;
  }
}

export class RedisNotificationStore implements NotificationStore {
  constructor(private readonly redis: RedisConnections) {}

  private keys(userId: string) {
    return {
      items: this.redis.key('notif', `{${userId}}`, 'items'),
      order: this.redis.key('notif', `{${userId}}`, 'order'),
      unread: this.redis.key('notif', `{${userId}}`, 'unread'),
    };
  }

  async add(userId: string, notification: Notification, keep: number): Promise<number> {
    const { items, order, unread } = this.keys(userId);
    return this.redis.run(async (client) => {
      await client
        .multi()
        .hset(items, notification.id, JSON.stringify(notification))
        .zadd(order, notification.createdAt, notification.id)
        .sadd(unread, notification.id)
        .exec();
      const dropped = await client.zrange(order, 0, -(keep + 1));
      if (dropped.length > 0) {
        await client.multi().zrem(order, ...dropped).hdel(items, ...dropped).srem(unread, ...dropped).exec();
      }
      return client.scard(unread);
    });
  }

  async list(userId: string, beforeId: string | null, limit: number) {
    const { items, order, unread } = this.keys(userId);
    return this.redis.run(async (client) => {
      let start = 0;
      if (beforeId !== null) {
        const rank = await client.zrevrank(order, beforeId);
        if (rank === null) return { notifications: [], hasMore: false };
        start = rank + 1;
      }
      const ids = await client.zrevrange(order, start, start + limit);
      const page = ids.slice(0, limit);
      if (page.length === 0) return { notifications: [], hasMore: false };
      const [raws, flags] = await Promise.all([client.hmget(items, ...page), client.smismember(unread, ...page)]);
      const notifications = raws.flatMap((raw, i) => (raw === null ? [] : [{ ...(JSON.parse(raw) as Notification), read: flags[i] !== 1 }]));
      return { notifications, hasMore: ids.length > limit };
    });
  }

  async markRead(userId: string, ids: readonly string[] | 'all'): Promise<number> {
    const { unread } = this.keys(userId);
    return this.redis.run(async (client) => {
      if (ids === 'all') await client.del(unread);
      else await client.srem(unread, ...ids);
      return client.scard(unread);
    });
  }

  async unread(userId: string): Promise<number> {
    return this.redis.run((client) => client.scard(this.keys(userId).unread));
  }
}
