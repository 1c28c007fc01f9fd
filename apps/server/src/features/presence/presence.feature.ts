/** Presence commands, online/offline with a grace period, auto-away, and dead nodes. */
import { ErrorCode, rooms, presenceSlice } from '@tavern/protocol';
import { AppError, defineFeature, KeyedTokenBuckets } from '../../api.js';
import { presenceSettings } from './presence.settings.js';
import { PresenceService } from './presence.service.js';
import { MemoryPresenceStore, RedisPresenceStore } from './presence.store.js';

declare module '../feature.js' {
  interface TavernServices {
    presence: PresenceService;
  }
}

const PRESENCE_PREFIX = rooms.presence('');

/** The rooms a status change is also announced to (chat channels, guilds, parties, …). */
function channelsOf(socketId: string, joined: ReadonlySet<string>): string[] {
  return [...joined].filter((room) => room !== socketId && !room.startsWith('user:') && !room.startsWith(PRESENCE_PREFIX));
}

export const presenceFeature = defineFeature({
  name: 'presence',
  slice: presenceSlice,
  settings: presenceSettings,
  create: ({ io, redis, realtime, registry, rooms: roomService, services, logger: log, settings, emitTo }) => {
    // A watch is a presence:{userId} room; watches count against maxWatched, not against
    // the rooms-per-socket cap, and the adapter guard holds every path to that cap too.
    roomService.capSeparately('presence', settings.maxWatched);
    // What a presence read costs is the number of ids in it: the budget counts ids, not calls.
    const idBudget = new KeyedTokenBuckets(settings.idsPerSec, 2);
    const spend = (socketId: string, ids: number) => {
      const retryAfterMs = idBudget.take(socketId, ids);
      if (retryAfterMs > 0) throw new AppError(ErrorCode.RATE_LIMITED, `at most ${settings.idsPerSec} user ids per second in presence reads`, { retryAfterMs });
    };
    const presence = new PresenceService(redis ? new RedisPresenceStore(redis) : new MemoryPresenceStore(), realtime, emitTo, log);
    services.provide('presence', presence);
    // Redis may have lost its data: put back what the users connected here chose.
    redis?.onRecover(() => presence.restore());
    const pendingOffline = new Map<string, NodeJS.Timeout>();
    const autoAway = new Set<string>();
    let awayTimer: NodeJS.Timeout | null = null;

    /** Store errors in background work are logged, never thrown into a timer. */
    const background = (what: string, work: Promise<unknown>) =>
      work.catch((error: unknown) => {
        if (error instanceof AppError) log.warn({ what, code: error.code }, 'presence update skipped');
        else log.error({ err: error, what }, 'presence update failed');
      });

    function sweepAway(): void {
      const lastActive = new Map<string, number>();
      for (const socket of io.of('/').sockets.values()) {
        const { userId } = socket.data.user;
        lastActive.set(userId, Math.max(lastActive.get(userId) ?? 0, socket.data.lastActivityAt));
      }
      const now = Date.now();
      for (const [userId, at] of lastActive) {
        const idle = now - at >= settings.awayAfterMs;
        if (idle === autoAway.has(userId)) continue;
        if (idle) autoAway.add(userId);
        else autoAway.delete(userId);
        void background('auto-away', presence.setAutoAway(userId, idle));
      }
    }

    return {
      handlers: {
        'presence:set': async ({ socket, user }, { status, activity }) => {
          autoAway.delete(user.userId);
          await presence.choose(user.userId, status, activity ?? null, channelsOf(socket.id, socket.rooms));
          return { status };
        },
        'presence:get': async ({ socket, user }, { userIds }) => {
          spend(socket.id, userIds.length);
          return { presences: await presence.list(userIds, user.userId) };
        },
        'presence:subscribe': async ({ socket, user }, { userIds }) => {
          spend(socket.id, userIds.length);
          const fresh = userIds.filter((userId) => !socket.rooms.has(rooms.presence(userId))).map((userId) => rooms.presence(userId));
          // Watches have their own cap (maxWatched), not the rooms-per-socket one.
          roomService.assertCanJoin(socket, ...fresh);
          await socket.join(fresh);
          return { presences: await presence.list(userIds, user.userId) };
        },
        'presence:unsubscribe': async ({ socket }, { userIds }) => {
          for (const userId of userIds) await socket.leave(rooms.presence(userId));
          return {};
        },
      },
      start() {
        registry.onReaped(async (entries) => {
          for (const userId of new Set(entries.map((entry) => entry.userId))) {
            if (await realtime.isUserOnline(userId)) continue;
            await presence.markSeen(userId);
            await presence.publish(userId, []);
          }
        });
        if (settings.awayAfterMs > 0) {
          awayTimer = setInterval(sweepAway, settings.awayCheckMs);
          awayTimer.unref();
        }
      },
      stop() {
        if (awayTimer) clearInterval(awayTimer);
        for (const timer of pendingOffline.values()) clearTimeout(timer);
        pendingOffline.clear();
      },
      async onConnect(socket) {
        const { userId } = socket.data.user;
        clearTimeout(pendingOffline.get(userId));
        pendingOffline.delete(userId);
        presence.track(userId);
        await background('online', presence.publish(userId, []));
      },
      onDisconnect(socket, _reason, joined) {
        const { userId } = socket.data.user;
        // Other sockets of the user on this node keep them online without asking the store.
        if (io.of('/').adapter.rooms.has(rooms.user(userId))) return;
        presence.untrack(userId);
        const channels = channelsOf(socket.id, joined);
        // The grace period counts from the user's last disconnect on any node (lastSeen),
        // so a node whose timer started earlier cannot cut another node's grace short.
        void background('seen', presence.markSeen(userId));
        const check = (delayMs: number) => {
          clearTimeout(pendingOffline.get(userId));
          const timer = setTimeout(() => {
            pendingOffline.delete(userId);
            void background(
              'offline',
              (async () => {
                if (await realtime.isUserOnline(userId)) return;
                const since = Date.now() - ((await presence.lastSeen(userId)) ?? 0);
                if (since < settings.graceMs) {
                  check(settings.graceMs - since);
                  return;
                }
                autoAway.delete(userId);
                await presence.publish(userId, channels);
              })(),
            );
          }, delayMs);
          timer.unref();
          pendingOffline.set(userId, timer);
        };
        check(settings.graceMs);
      },
    };
  },
});
