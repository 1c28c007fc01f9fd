/** `notification:list` / `notification:read`, the count on connect, and the service others use. */
import { AppError, defineFeature } from '../../api.js';
import { notificationSlice } from '@tavern/protocol';
import { NotificationService } from './notification.service.js';
import { MemoryNotificationStore, RedisNotificationStore } from './notification.store.js';

declare module '../feature.js' {
  interface TavernServices {
    notifications: NotificationService;
  }
}

export const notificationsFeature = defineFeature({
  name: 'notifications',
  slice: notificationSlice,
  create: ({ redis, emitTo, services, logger }) => {
  const store = redis ? new RedisNotificationStore(redis) : new MemoryNotificationStore();
  const notifications = new NotificationService(store, emitTo);
  services.provide('notifications', notifications);
  return {
    handlers: {
      'notification:list': ({ user }, { beforeId, limit }) => notifications.list(user.userId, beforeId ?? null, limit),
      'notification:read': async ({ user }, { ids, all }) => ({
        unread: await notifications.markRead(user.userId, all ? 'all' : (ids ?? [])),
      }),
    },
    async onConnect(socket) {
      try {
        socket.emit('notification:count', { unread: await notifications.unread(socket.data.user.userId) });
      } catch (error) {
        // Storage down: the count follows with the next change.
        if (!(error instanceof AppError)) throw error;
        logger.warn({ userId: socket.data.user.userId }, 'notification count unavailable on connect');
      }
    },
  };
  },
});
