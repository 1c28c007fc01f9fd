/**
 * Chat rules: who may use which channel, content cleaning, idempotent sends, history, sync,
 * edits, reactions, receipts, whispers and blocks. Delivery goes through the feature's `emitTo`,
 * so it is correct across nodes; the store allocates `seq` atomically. The studio's message hook
 * (moderation) sees every new or edited message before it is stored.
 */
import {
  ErrorCode,
  isChannelKind,
  rooms,
  type ChannelInfo,
  type ContentType,
  type Message,
  type ParsedRoom,
  type SyncCursor,
  type SyncedChannel,
  type chatSlice,
} from '@tavern/protocol';
import { AppError, forbidden, hasRole, LIMIT_PENDING, notFound, type AuthUser, type DistributedLimiter, type EmitTo, type ExtensionHooks, type RealtimeService, type RoomService, type TavernServices } from '../../api.js';
import { cleanContent, contentKey, createProfanityMask } from './chat.content.js';
import type { ChatSettings } from './chat.settings.js';
import type { AppendOptions, ChatStore, MessageChange } from './chat.store.js';

/** The reactions of every new message: one shared empty object (changes make a copy). */
const NO_REACTIONS: Message['reactions'] = Object.freeze({});

/** Messages a `chat:sync` returns per channel at most. */
export const SYNC_LIMIT = 500;

export interface ChatDeps {
  store: ChatStore;
  rooms: RoomService;
  emitTo: EmitTo<typeof chatSlice>;
  realtime: RealtimeService;
  hooks: ExtensionHooks;
  config: ChatSettings;
  /**
   * Messages per channel across the cluster: one rule, `channelRatePerSec` with bursts of two
   * seconds' worth (made in chat.feature.ts).
   */
  channelRate: DistributedLimiter;
  /** Counts a message refused by the channel's rate. */
  onChannelRefused: () => void;
  /** Looked up on use: the notifications feature may be absent. */
  notifications: () => TavernServices['notifications'] | undefined;
}

export class ChatService {
  private readonly mask: (content: string) => string;

  constructor(private readonly deps: ChatDeps) {
    this.mask = createProfanityMask(deps.config.profanity);
    deps.rooms.setPolicy('room', (user, room) => this.mayUseRoom(user.userId, room.id));
    deps.rooms.setPolicy('dm', (user, room) => this.mayUseDm(user.userId, room));
  }

  private async mayUseRoom(userId: string, roomId: string): Promise<boolean> {
    const info = await this.deps.store.room(roomId);
    if (!info) return false;
    return info.visibility === 'public' || (await this.deps.store.isRoomMember(roomId, userId));
  }

  private async mayUseDm(userId: string, room: ParsedRoom): Promise<boolean> {
    const [a, b] = room.userIds ?? [];
    if (userId !== a && userId !== b) return false;
    const peer = userId === a ? b : a;
    if (peer === undefined) return false;
    return !(await this.eitherBlocked(userId, peer));
  }

  private async eitherBlocked(userA: string, userB: string): Promise<boolean> {
    const [one, other] = await Promise.all([this.deps.store.isBlocked(userA, userB), this.deps.store.isBlocked(userB, userA)]);
    return one || other;
  }

  /** Throws unless `channelId` is a chat channel `user` may use now. */
  async assertAccess(user: AuthUser, channelId: string): Promise<ParsedRoom> {
    const parsed = this.deps.rooms.parse(channelId);
    if (!isChannelKind(parsed.kind)) throw new AppError(ErrorCode.INVALID_PAYLOAD, `${channelId} is not a chat channel`);
    if (parsed.kind === 'room' && !(await this.deps.store.room(parsed.id))) throw notFound(`room ${channelId}`);
    await this.deps.rooms.assertAllowed(user, parsed);
    return parsed;
  }

  async channelInfo(channelId: string, parsed: ParsedRoom): Promise<ChannelInfo> {
    const meta = await this.deps.store.meta(channelId);
    const name = parsed.kind === 'room' ? (await this.deps.store.room(parsed.id))?.name : undefined;
    return { id: channelId, kind: parsed.kind as ChannelInfo['kind'], ...(name !== undefined && { name }), epoch: meta.epoch, lastSeq: meta.lastSeq };
  }

  private appendOptions(kind: string): AppendOptions {
    const { retention, duplicateWindowMs, idempotencyMs, dmTtlMs } = this.deps.config;
    return { retention, duplicateWindowMs, idempotencyMs, historyTtlMs: kind === 'dm' ? dmTtlMs : kind === 'room' ? this.deps.config.roomTtlMs : 0 };
  }

  /** The content to store: cleaned, seen by the studio's message hook (which may refuse or rewrite it), masked. */
  private moderated(user: AuthUser, channelId: string, raw: string, contentType: ContentType): string | Promise<string> {
    // Synchronous without a hook: no promise and no extra turn on every message.
    if (!this.deps.hooks.moderates) return this.mask(cleanContent(raw));
    return this.withHook(user, channelId, cleanContent(raw), contentType);
  }

  private async withHook(user: AuthUser, channelId: string, cleaned: string, contentType: ContentType): Promise<string> {
    const content = cleanContent(await this.deps.hooks.message({ user, channelId, content: cleaned, contentType }));
    if (content === '') throw new AppError(ErrorCode.INVALID_PAYLOAD, 'the message is empty after moderation');
    return this.mask(content);
  }

  /** Stores a message; `fresh` is false for an idempotent retry (nothing to broadcast). */
  private async append(user: AuthUser, channelId: string, kind: string, raw: string, contentType: ContentType, clientMsgId: string) {
    const moderated = this.moderated(user, channelId, raw, contentType);
    const content = typeof moderated === 'string' ? moderated : await moderated;
    const outcome = await this.deps.store.append(
      channelId,
      { channelId, senderId: user.userId, senderName: user.name, content, contentType, clientMsgId, createdAt: Date.now(), reactions: NO_REACTIONS },
      contentKey(user.userId, content),
      this.appendOptions(kind),
    );
    if (outcome.kind === 'duplicate-content') throw new AppError(ErrorCode.CONFLICT, 'the same message was just sent; not sending it twice');
    return { message: outcome.message, fresh: outcome.kind === 'appended' };
  }

  async send(user: AuthUser, channelId: string, raw: string, contentType: ContentType, clientMsgId: string): Promise<Message> {
    const parsed = await this.assertAccess(user, channelId);
    const { channelRate } = this.deps;
    // Waits for Redis only when this node has spent its credit of the channel's budget.
    const taken = channelRate.take(channelId, 0);
    const retryAfterMs = taken === LIMIT_PENDING ? await channelRate.acquire(channelId, 0) : taken;
    if (retryAfterMs > 0) {
      this.deps.onChannelRefused();
      throw new AppError(ErrorCode.RATE_LIMITED, `${channelId} is receiving too many messages`, { retryAfterMs });
    }
    const { message, fresh } = await this.append(user, channelId, parsed.kind, raw, contentType, clientMsgId);
    if (fresh) {
      this.deps.emitTo(channelId, 'chat:message', message);
      // Only chat rooms expire; other channels pay no extra await per message.
      if (parsed.kind === 'room') await this.touch(parsed);
    }
    return message;
  }

  async whisper(user: AuthUser, toUserId: string, raw: string, clientMsgId: string): Promise<Message> {
    if (toUserId === user.userId) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'cannot whisper to yourself');
    if (await this.eitherBlocked(user.userId, toUserId)) throw forbidden(`cannot whisper to ${toUserId}`);
    const channelId = rooms.dm(user.userId, toUserId);
    const { message, fresh } = await this.append(user, channelId, 'dm', raw, 'text', clientMsgId);
    if (!fresh) return message;
    this.deps.emitTo([rooms.user(user.userId), rooms.user(toUserId), channelId], 'chat:message', message);
    if (!(await this.deps.realtime.isUserOnline(toUserId))) {
      await this.deps.notifications()?.notify([toUserId], {
        type: 'whisper',
        title: `${user.name} whispered to you`,
        body: message.content.slice(0, 200),
        data: { channelId, messageId: message.id, fromUserId: user.userId },
      });
    }
    return message;
  }

  private async change(user: AuthUser, channelId: string, messageId: string, change: MessageChange, authorOnly: boolean): Promise<Message> {
    await this.assertAccess(user, channelId);
    const message = await this.deps.store.get(channelId, messageId);
    if (!message || message.deleted) throw notFound(`message ${messageId}`);
    if (authorOnly && message.senderId !== user.userId && !hasRole(user, 'moderator', 'admin')) {
      throw forbidden('only the author or a moderator may change a message');
    }
    const updated = await this.deps.store.update(channelId, messageId, change);
    if (!updated) throw notFound(`message ${messageId}`);
    return updated;
  }

  async edit(user: AuthUser, channelId: string, messageId: string, raw: string): Promise<Message> {
    const content = await this.moderated(user, channelId, raw, 'text');
    const updated = await this.change(user, channelId, messageId, { kind: 'edit', content, editedAt: Date.now() }, true);
    this.deps.emitTo(channelId, 'chat:edited', { channelId, messageId, content, editedAt: updated.editedAt ?? Date.now() });
    return updated;
  }

  async remove(user: AuthUser, channelId: string, messageId: string): Promise<void> {
    await this.change(user, channelId, messageId, { kind: 'delete', editedAt: Date.now() }, true);
    this.deps.emitTo(channelId, 'chat:deleted', { channelId, messageId });
  }

  async react(user: AuthUser, channelId: string, messageId: string, emoji: string, on: boolean): Promise<void> {
    await this.change(user, channelId, messageId, { kind: 'react', emoji, userId: user.userId, on, maxDistinct: this.deps.config.maxReactionsPerMessage }, false);
    this.deps.emitTo(channelId, 'chat:reaction', { channelId, messageId, userId: user.userId, emoji, on });
  }

  async history(user: AuthUser, channelId: string, beforeSeq: number | null, limit: number) {
    await this.assertAccess(user, channelId);
    const messages = await this.deps.store.before(channelId, beforeSeq, limit + 1);
    return { messages: messages.slice(-limit), hasMore: messages.length > limit };
  }

  async sync(user: AuthUser, cursors: readonly SyncCursor[]): Promise<SyncedChannel[]> {
    return Promise.all(
      cursors.map(async ({ channelId, epoch, lastSeq }): Promise<SyncedChannel> => {
        await this.assertAccess(user, channelId);
        const meta = await this.deps.store.meta(channelId);
        if (meta.epoch !== epoch || lastSeq > meta.lastSeq) return { channelId, epoch: meta.epoch, messages: [], complete: false };
        // Up to the seq read with the epoch: later messages reach the client live.
        const missed = meta.lastSeq - lastSeq;
        const messages = await this.deps.store.after(channelId, lastSeq, Math.min(missed, SYNC_LIMIT));
        // Complete only when every missed message is here: none dropped by retention, none
        // beyond the limit.
        const complete = messages.length === missed && (messages[0]?.seq ?? lastSeq + 1) === lastSeq + 1;
        return { channelId, epoch: meta.epoch, messages, complete };
      }),
    );
  }

  async read(user: AuthUser, channelId: string, seq: number): Promise<void> {
    await this.assertAccess(user, channelId);
    const { lastSeq } = await this.deps.store.meta(channelId);
    const watermark = await this.deps.store.markRead(channelId, user.userId, Math.min(seq, lastSeq));
    if (watermark > 0) this.deps.emitTo(channelId, 'chat:read', { channelId, userId: user.userId, seq: watermark });
  }

  lastRead(channelId: string, userId: string): Promise<number> {
    return this.deps.store.lastRead(channelId, userId);
  }

  recent(channelId: string, limit: number): Promise<Message[]> {
    return limit === 0 ? Promise.resolve([]) : this.deps.store.before(channelId, null, limit);
  }

  async createRoom(user: AuthUser, name: string, visibility: 'public' | 'private', members: readonly string[]): Promise<string> {
    const roomId = `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const { maxRoomsPerUser, roomTtlMs } = this.deps.config;
    const made = await this.deps.store.createRoom(roomId, { name, visibility, ownerId: user.userId }, [user.userId, ...members], {
      maxPerOwner: maxRoomsPerUser,
      ttlMs: roomTtlMs,
    });
    if (!made) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `at most ${maxRoomsPerUser} rooms per user; unused rooms expire`);
    return rooms.room(roomId);
  }

  /** A join or a message keeps a chat room (and its history) alive for `roomTtlMs` more. */
  touch(parsed: ParsedRoom): Promise<void> {
    return parsed.kind === 'room' ? this.deps.store.touchRoom(parsed.id, this.deps.config.roomTtlMs) : Promise.resolve();
  }

  async invite(user: AuthUser, channelId: string, userId: string): Promise<void> {
    const parsed = this.deps.rooms.parse(channelId);
    if (parsed.kind !== 'room') throw new AppError(ErrorCode.INVALID_PAYLOAD, 'invitations are for chat rooms');
    const info = await this.deps.store.room(parsed.id);
    if (!info) throw notFound(`room ${channelId}`);
    if (info.ownerId !== user.userId && !hasRole(user, 'moderator', 'admin')) throw forbidden('only the owner invites to a room');
    await this.deps.store.addRoomMember(parsed.id, userId);
    await this.deps.notifications()?.notify([userId], {
      type: 'chat.invite',
      title: `${user.name} invited you to ${info.name}`,
      body: '',
      data: { channelId, fromUserId: user.userId },
    });
  }

  block(user: AuthUser, userId: string): Promise<void> {
    if (userId === user.userId) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'cannot block yourself');
    return this.deps.store.block(user.userId, userId);
  }

  unblock(user: AuthUser, userId: string): Promise<void> {
    return this.deps.store.unblock(user.userId, userId);
  }
}
