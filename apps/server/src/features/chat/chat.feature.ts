/** Chat over sockets: every `chat:*` command, typing indicators with a server-side expiry. */
import { chatSlice, ErrorCode } from '@tavern/protocol';
import { AppError, defineFeature, DistributedLimiter, type EmitTo, type TavernSocket } from '../../api.js';
import { MemoryChannelMembership, RedisChannelMembership, type JoinOutcome } from './chat.members.js';
import { ChannelRoster } from './chat.roster.js';
import { chatSettings } from './chat.settings.js';
import { ChatService } from './chat.service.js';
import { MemoryChatStore, RedisChatStore } from './chat.store.js';

declare module '../feature.js' {
  interface TavernServices {
    chat: ChatService;
  }
}

/** Members listed by `chat:join` at most. */
const MAX_LISTED_MEMBERS = 100;
const DEFAULT_HISTORY = 50;
/**
 * Membership keys expire this long after the last change or refresh; each node refreshes the
 * channels it holds members in four times as often.
 */
const MEMBERSHIP_TTL_MS = 60 * 60 * 1000;

/** Typing state per socket and channel, each with its expiry timer. */
class TypingTracker {
  private readonly timers = new Map<string, Map<string, NodeJS.Timeout>>();

  constructor(
    private readonly emitTo: EmitTo<typeof chatSlice>,
    private readonly expiryMs: number,
  ) {}

  set(socket: TavernSocket, channelId: string, typing: boolean): void {
    let channels = this.timers.get(socket.id);
    const running = channels?.get(channelId);
    if (running) clearTimeout(running);
    if (!typing) {
      if (running) this.stop(socket, channelId);
      return;
    }
    if (!channels) this.timers.set(socket.id, (channels = new Map()));
    const timer = setTimeout(() => this.stop(socket, channelId), this.expiryMs);
    timer.unref();
    channels.set(channelId, timer);
    // Refreshes are not repeated to others: only the start is news.
    if (!running) this.emit(socket, channelId, true);
  }

  /** Stops every indicator of a socket at once (it sent a message or disconnected). */
  clear(socket: TavernSocket, channelId?: string): void {
    const channels = this.timers.get(socket.id);
    if (!channels) return;
    for (const [channel, timer] of channels) {
      if (channelId !== undefined && channel !== channelId) continue;
      clearTimeout(timer);
      this.stop(socket, channel);
    }
  }

  private stop(socket: TavernSocket, channelId: string): void {
    const channels = this.timers.get(socket.id);
    channels?.delete(channelId);
    if (channels?.size === 0) this.timers.delete(socket.id);
    this.emit(socket, channelId, false);
  }

  private emit(socket: TavernSocket, channelId: string, typing: boolean): void {
    const { userId, name } = socket.data.user;
    this.emitTo(channelId, 'chat:typing', { channelId, userId, name, typing }, { except: socket.id, volatile: typing });
  }
}

export const chatFeature = defineFeature({
  name: 'chat',
  slice: chatSlice,
  settings: chatSettings,
  create: ({ redis, rooms, realtime, hooks, settings, services, config, registry, io, emitTo, metrics, logger }) => {
    const channelRate = new DistributedLimiter({
      scope: 'channel',
      redis,
      syncMs: config.limits.rateLimitSyncMs,
      logger,
      rules: [{ name: 'chat:send', ratePerSec: settings.channelRatePerSec, burst: settings.channelRatePerSec * 2 }],
    });
    const channelRefusals = metrics.capRefusals.labels('chat_channel_rate');
    const chat = new ChatService({
      store: redis ? new RedisChatStore(redis) : new MemoryChatStore(),
      rooms,
      emitTo,
      realtime,
      hooks,
      config: settings,
      channelRate,
      onChannelRefused: () => channelRefusals.inc(),
      notifications: () => services.find('notifications'),
    });
    services.provide('chat', chat);
    const typing = new TypingTracker(emitTo, settings.typingMs);

    const roster = new ChannelRoster({
      store: redis ? new RedisChannelMembership(redis, MEMBERSHIP_TTL_MS) : new MemoryChannelMembership(),
      nodeId: config.nodeId,
      emitTo,
      statuses: () => services.find('presence'),
      redis,
      largeChannelMembers: settings.largeChannelMembers,
      listedMembers: MAX_LISTED_MEMBERS,
      localAudience: (channelId) => io.of('/').adapter.rooms.get(channelId)?.size ?? 0,
    });
    redis?.onRecover(() => roster.restore());
    registry.onReaped(async (entries) => {
      for (const nodeId of new Set(entries.map((entry) => entry.nodeId))) await roster.dropNode(nodeId);
    });
    let refreshTimer: NodeJS.Timeout | null = null;

    return {
      handlers: {
        'chat:join': async ({ socket, user }, { channelId, historyLimit }) => {
          const parsed = await chat.assertAccess(user, channelId);
          const alreadyHere = socket.rooms.has(channelId);
          await rooms.join(socket, channelId);
          let joined: JoinOutcome | null;
          try {
            joined = await roster.join(socket, channelId);
          } catch (error) {
            // Not counted, so not in: the join changes nothing.
            if (!alreadyHere) await rooms.leave(socket, channelId);
            throw error;
          }
          const [channel, history, lastReadSeq, { members, memberCount }] = await Promise.all([
            chat.touch(parsed).then(() => chat.channelInfo(channelId, parsed)),
            chat.recent(channelId, historyLimit ?? DEFAULT_HISTORY),
            chat.lastRead(channelId, user.userId),
            roster.list(channelId, joined),
          ]);
          return { channel, members, memberCount, history, lastReadSeq };
        },
        'chat:leave': async ({ socket }, { channelId }) => {
          if (!socket.rooms.has(channelId)) return {};
          typing.clear(socket, channelId);
          await rooms.leave(socket, channelId);
          await roster.leave(socket, channelId);
          return {};
        },
        'chat:create': async ({ user }, { name, visibility, members: invited }) => ({
          channelId: await chat.createRoom(user, name, visibility, invited ?? []),
        }),
        'chat:invite': async ({ user }, { channelId, userId }) => {
          await chat.invite(user, channelId, userId);
          return {};
        },
        'chat:send': async ({ socket, user }, { channelId, content, contentType, clientMsgId }) => {
          const message = await chat.send(user, channelId, content, contentType ?? 'text', clientMsgId);
          typing.clear(socket, channelId);
          return { message };
        },
        'chat:whisper': async ({ user }, { toUserId, content, clientMsgId }) => ({
          message: await chat.whisper(user, toUserId, content, clientMsgId),
        }),
        'chat:edit': async ({ user }, { channelId, messageId, content }) => ({
          message: await chat.edit(user, channelId, messageId, content),
        }),
        'chat:delete': async ({ user }, { channelId, messageId }) => {
          await chat.remove(user, channelId, messageId);
          return {};
        },
        'chat:react': async ({ user }, { channelId, messageId, emoji, on }) => {
          await chat.react(user, channelId, messageId, emoji, on);
          return {};
        },
        'chat:history': ({ user }, { channelId, beforeSeq, limit }) => chat.history(user, channelId, beforeSeq ?? null, limit),
        'chat:sync': async ({ user }, { cursors }) => ({ channels: await chat.sync(user, cursors) }),
        'chat:read': async ({ user }, { channelId, seq }) => {
          await chat.read(user, channelId, seq);
          return {};
        },
        'chat:block': async ({ user }, { userId }) => {
          await chat.block(user, userId);
          return {};
        },
        'chat:unblock': async ({ user }, { userId }) => {
          await chat.unblock(user, userId);
          return {};
        },
        'chat:typing': ({ socket }, { channelId, typing: isTyping }) => {
          if (!socket.rooms.has(channelId)) throw new AppError(ErrorCode.FORBIDDEN, `join ${channelId} before typing in it`);
          typing.set(socket, channelId, isTyping);
        },
      },
      onDisconnect(socket) {
        typing.clear(socket);
        return roster.leaveAll(socket);
      },
      start() {
        refreshTimer = setInterval(() => void roster.refresh().catch(() => undefined), MEMBERSHIP_TTL_MS / 4);
        refreshTimer.unref();
      },
      stop() {
        if (refreshTimer) clearInterval(refreshTimer);
        roster.stop();
        channelRate.stop();
      },
    };
  },
});
