/** One contract for the in-memory and the Redis notification stores. */
import type { Notification } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { useStoreConnections } from '../../../test/support/redis-connections.js';
import { MemoryNotificationStore, RedisNotificationStore, type NotificationStore } from './notification.store.js';

const connections = useStoreConnections('notif-contract:');
const onCluster = useStoreConnections('notif-contract:', 'cluster');

const make = (i: number): Notification => ({ id: `n${String(i).padStart(3, '0')}`, type: 't', title: `#${i}`, body: '', createdAt: 1_000 + i, read: false });

describe.each([
  ['memory', () => new MemoryNotificationStore()],
  ['redis', () => new RedisNotificationStore(connections())],
  ['redis cluster', () => new RedisNotificationStore(onCluster())],
] as [string, () => NotificationStore][])('NotificationStore contract: %s', (_name, create) => {
  it('keeps the newest `keep`, pages newest first, counts and marks read', async () => {
    const store = create();
    const user = `u${Math.random().toString(36).slice(2)}`;
    let unread = 0;
    for (let i = 1; i <= 7; i++) unread = await store.add(user, make(i), 5);
    expect(unread).toBe(5);
    const first = await store.list(user, null, 3);
    expect(first.notifications.map((item) => item.id)).toEqual(['n007', 'n006', 'n005']);
    expect(first.hasMore).toBe(true);
    const second = await store.list(user, 'n005', 3);
    expect(second).toMatchObject({ hasMore: false });
    expect(second.notifications.map((item) => item.id)).toEqual(['n004', 'n003']);
    expect(await store.markRead(user, ['n007', 'n001'])).toBe(4);
    expect((await store.list(user, null, 1)).notifications[0]).toMatchObject({ id: 'n007', read: true });
    expect(await store.markRead(user, 'all')).toBe(0);
    expect(await store.unread(user)).toBe(0);
    expect(await store.list(user, 'unknown', 3)).toEqual({ notifications: [], hasMore: false });
  });
});
