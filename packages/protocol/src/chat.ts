/** Chat: channels, messages with per-channel sequence numbers, resume, receipts, typing. */
import { z } from 'zod';
import { Cursor, DisplayName, Empty, Id, Member, Seq, Timestamp } from './common.js';
import { command, defineSlice, event, signal } from './define.js';
import { CHANNEL_KINDS, ChannelId } from './rooms.js';

/** Content after cleaning is 1–2000 characters; the raw payload may carry whitespace around it. */
export const MAX_CONTENT_LENGTH = 2000;
const RawContent = z.string().min(1).max(MAX_CONTENT_LENGTH * 2);

export const ContentType = z.enum(['text', 'emoji', 'gif']);
export type ContentType = z.infer<typeof ContentType>;

export const Emoji = z.string().min(1).max(32);

/**
 * What `chat:react` accepts: one emoji (a pictograph with its modifiers, joiners and
 * variation selectors, e.g. 👍, 👍🏽, 👨‍👩‍👧, 🇫🇷, 1️⃣) or a short `:name:` token for a custom
 * one (lowercase letters, digits, `_`, `+`, `-`; at most 30 between the colons).
 */
export const ReactionEmoji = Emoji.regex(
  /^(?::[a-z0-9_+-]{1,30}:|(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[0-9#*]\uFE0F?\u20E3)(?:\p{Emoji_Modifier}|\uFE0F|\u20E3|\p{Regional_Indicator}|\u200D(?:\p{Extended_Pictographic})|[\u{E0020}-\u{E007F}])*)$/u,
  'an emoji or a :name: token',
);

export const Message = z.object({
  id: Id,
  channelId: ChannelId,
  seq: Seq,
  senderId: Id,
  senderName: z.string(),
  content: z.string(),
  contentType: ContentType,
  clientMsgId: Id,
  createdAt: Timestamp,
  editedAt: Timestamp.optional(),
  deleted: z.literal(true).optional(),
  /** emoji -> ids of the users who reacted with it */
  reactions: z.record(z.string(), z.array(Id)),
});
export type Message = z.infer<typeof Message>;

export const ChannelInfo = z.object({
  id: ChannelId,
  kind: z.enum(CHANNEL_KINDS),
  name: z.string().optional(),
  /** Changes when the store lost this channel's history; a client's cursor from another epoch is void. */
  epoch: Id,
  /** The seq of the newest message, 0 when there is none. */
  lastSeq: Cursor,
});
export type ChannelInfo = z.infer<typeof ChannelInfo>;

export const ChatJoinPayload = z.object({
  channelId: ChannelId,
  historyLimit: z.number().int().min(0).max(100).optional(),
});
export const ChatJoinResult = z.object({
  channel: ChannelInfo,
  /** At most 100 members, online ones first; `memberCount` is the total. */
  members: z.array(Member),
  memberCount: z.number().int().nonnegative(),
  history: z.array(Message),
  lastReadSeq: Cursor,
});
export type ChatJoinResult = z.infer<typeof ChatJoinResult>;

export const ChatChannelPayload = z.object({ channelId: ChannelId });

export const ChatCreatePayload = z.object({
  name: DisplayName,
  visibility: z.enum(['public', 'private']),
  members: z.array(Id).max(100).optional(),
});
export const ChatCreateResult = z.object({ channelId: ChannelId });

export const ChatInvitePayload = z.object({ channelId: ChannelId, userId: Id });

export const ChatSendPayload = z.object({
  channelId: ChannelId,
  content: RawContent,
  contentType: ContentType.optional(),
  /** Idempotency key: a retry with the same key returns the original message and broadcasts nothing. */
  clientMsgId: Id,
});
export type ChatSendPayload = z.input<typeof ChatSendPayload>;
export const MessageResult = z.object({ message: Message });

export const ChatWhisperPayload = z.object({ toUserId: Id, content: RawContent, clientMsgId: Id });

export const ChatEditPayload = z.object({ channelId: ChannelId, messageId: Id, content: RawContent });
export const ChatDeletePayload = z.object({ channelId: ChannelId, messageId: Id });
export const ChatReactPayload = z.object({ channelId: ChannelId, messageId: Id, emoji: ReactionEmoji, on: z.boolean() });

export const ChatHistoryPayload = z.object({
  channelId: ChannelId,
  /** Only messages with a smaller seq; the newest when absent. */
  beforeSeq: Seq.optional(),
  limit: z.number().int().min(1).max(100),
});
export const ChatHistoryResult = z.object({ messages: z.array(Message), hasMore: z.boolean() });

export const SyncCursor = z.object({ channelId: ChannelId, epoch: Id, lastSeq: Cursor });
export type SyncCursor = z.infer<typeof SyncCursor>;
export const ChatSyncPayload = z.object({ cursors: z.array(SyncCursor).max(50) });
export const SyncedChannel = z.object({
  channelId: ChannelId,
  epoch: Id,
  /** Every message after the cursor, in order, at most 500. */
  messages: z.array(Message),
  /** False when more were missed than returned, or the epoch changed: reload the channel. */
  complete: z.boolean(),
});
export type SyncedChannel = z.infer<typeof SyncedChannel>;
export const ChatSyncResult = z.object({ channels: z.array(SyncedChannel) });

export const ChatReadPayload = z.object({ channelId: ChannelId, seq: Seq });
export const ChatTypingSignal = z.object({ channelId: ChannelId, typing: z.boolean() });
export const ChatBlockPayload = z.object({ userId: Id });

export const ChatEdited = z.object({ channelId: ChannelId, messageId: Id, content: z.string(), editedAt: Timestamp });
export const ChatDeleted = z.object({ channelId: ChannelId, messageId: Id });
export const ChatReaction = z.object({ channelId: ChannelId, messageId: Id, userId: Id, emoji: Emoji, on: z.boolean() });
export const ChatReadReceipt = z.object({ channelId: ChannelId, userId: Id, seq: Seq });
export const ChatTyping = z.object({ channelId: ChannelId, userId: Id, name: z.string(), typing: z.boolean() });
export const ChatMemberJoined = z.object({ channelId: ChannelId, member: Member });
export const ChatMemberLeft = z.object({ channelId: ChannelId, userId: Id });
export const ChatOccupancy = z.object({ channelId: ChannelId, count: z.number().int().nonnegative() });

export const chatCommands = {
  'chat:join': command(ChatJoinPayload, ChatJoinResult, { description: "Joins a channel: answers its info, members, recent history and your read cursor." }),
  'chat:leave': command(ChatChannelPayload, Empty, { description: 'Leaves a channel.' }),
  'chat:create': command(ChatCreatePayload, ChatCreateResult, { description: 'Creates a chat room, public or private, optionally with initial members.' }),
  'chat:invite': command(ChatInvitePayload, Empty, { description: 'Invites a user to a private room (owner only).' }),
  'chat:send': command(ChatSendPayload, MessageResult, { description: 'Sends a message; `clientMsgId` makes it idempotent (a retry returns the original and broadcasts nothing).', rateLimit: { ratePerSec: 5, burst: 10 } }),
  'chat:whisper': command(ChatWhisperPayload, MessageResult, { description: 'Sends a direct message in `dm:…`; stored and notified when the peer is offline.', rateLimit: { ratePerSec: 5, burst: 10 } }),
  'chat:edit': command(ChatEditPayload, MessageResult, { description: 'Edits a message (author or moderator).' }),
  'chat:delete': command(ChatDeletePayload, Empty, { description: 'Deletes a message (author or moderator).' }),
  'chat:react': command(ChatReactPayload, Empty, { description: 'Adds (`on: true`) or removes a reaction on a message.' }),
  'chat:history': command(ChatHistoryPayload, ChatHistoryResult, { description: 'Pages back through a channel: messages before `beforeSeq`, newest when absent.' }),
  'chat:sync': command(ChatSyncPayload, ChatSyncResult, { description: 'Resumes channels after a reconnect: every message after each cursor, `complete: false` when the client must reload.' }),
  'chat:read': command(ChatReadPayload, Empty, { description: 'Marks a channel read up to `seq`; others get a `chat:read` receipt.' }),
  'chat:block': command(ChatBlockPayload, Empty, { description: 'Blocks a user: no direct messages from them.' }),
  'chat:unblock': command(ChatBlockPayload, Empty, { description: 'Unblocks a user.' }),
};

export const chatSignals = {
  'chat:typing': signal(ChatTypingSignal, { description: 'Says whether you are typing in a channel; expires after 5 s without a refresh.', rateLimit: { ratePerSec: 2, burst: 4 } }),
};

export const chatServerEvents = {
  'chat:message': event(Message, 'A new message, to the whole channel including the sender.'),
  'chat:edited': event(ChatEdited, 'A message was edited.'),
  'chat:deleted': event(ChatDeleted, 'A message was deleted.'),
  'chat:reaction': event(ChatReaction, 'A reaction was added or removed.'),
  'chat:read': event(ChatReadReceipt, 'Read receipt: a member read the channel up to `seq`.'),
  'chat:typing': event(ChatTyping, 'A member started or stopped typing; expires after 5 s without a refresh.'),
  'chat:member:joined': event(ChatMemberJoined, 'A member joined the channel (small channels; large ones get `chat:occupancy`).'),
  'chat:member:left': event(ChatMemberLeft, 'A member left the channel (small channels; large ones get `chat:occupancy`).'),
  'chat:occupancy': event(ChatOccupancy, 'How many members a large channel (or `global:main`) has now, instead of member joined/left; at most once per second.'),
};

export const chatSlice = defineSlice({
  id: 'chat',
  title: 'Chat',
  description: 'Channels, messages with per-channel sequence numbers, resume, receipts and typing.',
  commands: chatCommands,
  signals: chatSignals,
  serverEvents: chatServerEvents,
});
