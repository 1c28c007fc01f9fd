/**
 * Chat history and per-channel state. Each channel has a history `epoch` (made when its
 * history is created; a store that lost the history makes a new one) and a `seq` counter
 * allocated atomically, so sequence numbers have no gaps and no duplicates across nodes.
 * `append` is idempotent on (sender, clientMsgId) and refuses the same content from the
 * same sender within the duplicate window, in the same atomic step.
 *
 * Message ids are `<seq>-<random>`, so a message is found by id without an index.
 */
import { ErrorCode, type Message } from '@tavern/protocol';
import { AppError, defineScript, defineWriteScript, type RedisConnections } from '../../api.js';
import { MessageLog } from './chat.message-log.js';

export interface ChannelMeta {
  epoch: string;
  lastSeq: number;
}

export interface AppendOptions {
  /** Messages kept per channel; older ones are dropped. */
  retention: number;
  /** Same sender, same content in this channel within this window is refused (0: off). */
  duplicateWindowMs: number;
  /** How long a clientMsgId is remembered for idempotent retries. */
  idempotencyMs: number;
  /** The whole history expires this long after its last message (DMs); 0 keeps it. */
  historyTtlMs: number;
}

export type AppendOutcome =
  | { kind: 'appended'; message: Message }
  /**
   * A retry of a message another append stored and reported as `appended` (so broadcast): the
   * original, and nothing to broadcast. An append that failed stored nothing (see `append`).
   */
  | { kind: 'retry'; message: Message }
  | { kind: 'duplicate-content' };

/** The message as the sender made it; the store adds `id` and `seq`. */
export type MessageDraft = Pick<Message, 'channelId' | 'senderId' | 'senderName' | 'content' | 'contentType' | 'clientMsgId' | 'createdAt' | 'reactions'>;

export interface RoomLimits {
  maxPerOwner: number;
  ttlMs: number;
}

export interface RoomInfo {
  name: string;
  visibility: 'public' | 'private';
  ownerId: string;
}

export interface ChatStore {
  meta(channelId: string): Promise<ChannelMeta>;
  /**
   * Stores a message, atomically with its idempotency key. An append that fails with
   * `UNAVAILABLE` has stored nothing (in Redis: its script refuses to run after the deadline of
   * its timeout; `RedisConnections.deadline` says what remains), so the sender's retry with the
   * same clientMsgId is `appended`, and broadcast.
   */
  append(channelId: string, draft: MessageDraft, contentKey: string, options: AppendOptions): Promise<AppendOutcome>;
  /** Messages with `seq > afterSeq`, oldest first, at most `limit`. */
  after(channelId: string, afterSeq: number, limit: number): Promise<Message[]>;
  /** The newest messages with `seq < beforeSeq` (or the newest of all), oldest first. */
  before(channelId: string, beforeSeq: number | null, limit: number): Promise<Message[]>;
  get(channelId: string, messageId: string): Promise<Message | null>;
  /** Applies `change` to a stored message atomically; null when it is not there. */
  update(channelId: string, messageId: string, change: MessageChange): Promise<Message | null>;
  /** Raises the user's read watermark (never lowers it); returns the watermark. */
  markRead(channelId: string, userId: string, seq: number): Promise<number>;
  lastRead(channelId: string, userId: string): Promise<number>;
  block(userId: string, blockedId: string): Promise<void>;
  unblock(userId: string, blockedId: string): Promise<void>;
  isBlocked(userId: string, byUserId: string): Promise<boolean>;
  /**
   * Makes a room that expires `limits.ttlMs` after its last use (`touchRoom`), unless its
   * owner already owns `limits.maxPerOwner` live rooms: then false, and nothing is made.
   */
  createRoom(roomId: string, info: RoomInfo, members: readonly string[], limits: RoomLimits): Promise<boolean>;
  /** Pushes a room's expiry to `ttlMs` from now (a join or a message). */
  touchRoom(roomId: string, ttlMs: number): Promise<void>;
  room(roomId: string): Promise<RoomInfo | null>;
  addRoomMember(roomId: string, userId: string): Promise<void>;
  isRoomMember(roomId: string, userId: string): Promise<boolean>;
}

export type MessageChange =
  | { kind: 'edit'; content: string; editedAt: number }
  | { kind: 'delete'; editedAt: number }
  | { kind: 'react'; emoji: string; userId: string; on: boolean; maxDistinct: number };

/**
 * A copy of a message's reactions with no prototype: the emoji is a client-chosen key, and
 * `constructor` or `__proto__` must be an emoji like any other, never an inherited member.
 */
function ownReactions(reactions: Message['reactions']): Record<string, string[]> {
  const copy = Object.create(null) as Record<string, string[]>;
  for (const [emoji, users] of Object.entries(reactions)) copy[emoji] = users;
  return copy;
}

/** Applies a change to a message (shared by both stores; the Redis store runs it in Lua). */
export function applyChange(message: Message, change: MessageChange): Message {
  switch (change.kind) {
    case 'edit':
      return { ...message, content: change.content, editedAt: change.editedAt };
    case 'delete':
      return { ...message, content: '', deleted: true, editedAt: change.editedAt, reactions: {} };
    case 'react': {
      const reactions = ownReactions(message.reactions);
      const existing = reactions[change.emoji];
      if (change.on && !existing && Object.keys(reactions).length >= change.maxDistinct) {
        throw new AppError(ErrorCode.LIMIT_EXCEEDED, `at most ${change.maxDistinct} different reactions per message`);
      }
      const users = new Set(existing ?? []);
      if (change.on) users.add(change.userId);
      else users.delete(change.userId);
      if (users.size > 0) reactions[change.emoji] = [...users];
      else delete reactions[change.emoji];
      return { ...message, reactions };
    }
  }
}

export function seqOfId(messageId: string): number | null {
  const seq = Number(messageId.slice(0, messageId.indexOf('-')));
  return Number.isSafeInteger(seq) && seq > 0 ? seq : null;
}

function newEpoch(): string {
  return `e${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

function messageId(seq: number): string {
  return `${seq}-${Math.random().toString(36).slice(2, 10)}`;
}

interface MemoryChannel {
  /** The channel id, shared by every message stored in it. */
  id: string;
  epoch: string;
  seq: number;
  /**
   * The kept messages, as JSON off the V8 heap (`MessageLog`): message `seq` is kept while
   * `seq > lastSeq - capacity`. `capacity` is the retention of the first append.
   */
  log: MessageLog | null;
  capacity: number;
  /**
   * Idempotency: a 30-bit hash of `senderId` and `clientMsgId` -> seq (a small integer both
   * ways, so no heap object per message; the message itself says whose key it is). A key whose
   * hash another kept message holds goes to `collided`, by its full text. Both maps are in the
   * order the messages were stored; the message's `createdAt` says when a key expires.
   */
  keys: Map<number, number>;
  collided: Map<string, number>;
  recent: Map<string, number>;
  reads: Map<string, number>;
  expiresAt: number;
}

/** FNV-1a over both strings, cut to 30 bits: a small integer (Smi) on every V8 build. */
function keyHash(senderId: string, clientMsgId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < senderId.length; index++) hash = Math.imul(hash ^ senderId.charCodeAt(index), 0x01000193);
  hash = Math.imul(hash ^ 0x3a, 0x01000193);
  for (let index = 0; index < clientMsgId.length; index++) hash = Math.imul(hash ^ clientMsgId.charCodeAt(index), 0x01000193);
  return (hash >>> 0) & 0x3fffffff;
}

const isKeyOf = (message: Message | undefined, draft: MessageDraft) => message !== undefined && message.senderId === draft.senderId && message.clientMsgId === draft.clientMsgId;

/**
 * The in-memory store: one process, every step synchronous, so atomic. What it keeps per
 * message is bytes in its channel's `MessageLog` and two small integers in `keys`: nothing the
 * garbage collector walks. An append allocates the message it returns (short-lived) and its JSON.
 */
export class MemoryChatStore implements ChatStore {
  private readonly channels = new Map<string, MemoryChannel>();
  private readonly blocks = new Map<string, Set<string>>();
  private readonly rooms = new Map<string, { info: RoomInfo; members: Set<string>; expiresAt: number }>();

  /** The room unless it expired (an expired one is forgotten here). */
  private liveRoom(roomId: string) {
    const room = this.rooms.get(roomId);
    if (room && room.expiresAt <= Date.now()) {
      this.rooms.delete(roomId);
      return undefined;
    }
    return room;
  }

  private channel(channelId: string): MemoryChannel {
    let channel = this.channels.get(channelId);
    if (channel && channel.expiresAt <= Date.now()) channel = undefined;
    if (!channel) {
      channel = {
        id: channelId,
        epoch: newEpoch(),
        seq: 0,
        log: null,
        capacity: 0,
        keys: new Map(),
        collided: new Map(),
        recent: new Map(),
        reads: new Map(),
        expiresAt: Infinity,
      };
      this.channels.set(channelId, channel);
    }
    return channel;
  }

  /** The kept message with this seq, if any (decoded: a fresh object each time). */
  private at(channel: MemoryChannel, seq: number): Message | undefined {
    if (seq < 1 || seq > channel.seq || seq <= channel.seq - channel.capacity) return undefined;
    const json = channel.log?.get(seq);
    return json === undefined ? undefined : (JSON.parse(json) as Message);
  }

  private store(channel: MemoryChannel, message: Message): void {
    channel.log ??= new MessageLog(channel.capacity);
    channel.log.set(message.seq, JSON.stringify(message), Math.min(channel.seq, channel.capacity));
  }

  /** The seq of the kept message with this sender's clientMsgId, if any. */
  private knownSeq(channel: MemoryChannel, hash: number, draft: MessageDraft): number | undefined {
    const seq = channel.keys.get(hash);
    if (seq === undefined) return undefined;
    if (isKeyOf(this.at(channel, seq), draft)) return seq;
    return channel.collided.get(`${draft.senderId}:${draft.clientMsgId}`);
  }

  async meta(channelId: string): Promise<ChannelMeta> {
    const channel = this.channel(channelId);
    return { epoch: channel.epoch, lastSeq: channel.seq };
  }

  async append(channelId: string, draft: MessageDraft, contentKey: string, options: AppendOptions): Promise<AppendOutcome> {
    const channel = this.channel(channelId);
    const now = Date.now();
    const hash = keyHash(draft.senderId, draft.clientMsgId);
    const knownSeq = this.knownSeq(channel, hash, draft);
    if (knownSeq !== undefined) {
      const original = this.at(channel, knownSeq);
      if (isKeyOf(original, draft) && (original as Message).createdAt + options.idempotencyMs > now) return { kind: 'retry', message: original as Message };
    }
    if (options.duplicateWindowMs > 0 && (channel.recent.get(contentKey) ?? 0) > now) return { kind: 'duplicate-content' };
    const seq = ++channel.seq;
    // Spelled out: a spread followed by two more fields costs several times more per send.
    const message: Message = {
      id: messageId(seq),
      channelId: channel.id,
      seq,
      senderId: draft.senderId,
      senderName: draft.senderName,
      content: draft.content,
      contentType: draft.contentType,
      clientMsgId: draft.clientMsgId,
      createdAt: draft.createdAt,
      reactions: draft.reactions,
    };
    if (channel.capacity === 0) channel.capacity = options.retention;
    this.store(channel, message);
    // Set again at the end (the sweep relies on the order): the hash's own slot unless another
    // kept message's key holds it.
    const holder = channel.keys.get(hash);
    if (holder !== undefined && holder !== knownSeq && this.at(channel, holder) !== undefined) {
      const key = `${draft.senderId}:${draft.clientMsgId}`;
      channel.collided.delete(key);
      channel.collided.set(key, seq);
    } else {
      channel.keys.delete(hash);
      channel.keys.set(hash, seq);
    }
    if (options.duplicateWindowMs > 0) {
      channel.recent.delete(contentKey);
      channel.recent.set(contentKey, now + options.duplicateWindowMs);
    }
    if (options.historyTtlMs > 0) channel.expiresAt = now + options.historyTtlMs;
    if (seq % 256 === 0) this.sweep(channel, now, options.idempotencyMs);
    return { kind: 'appended', message };
  }

  /**
   * The maps are in expiry order (constant windows, re-set keys moved to the end), so a sweep
   * stops at the first live entry. An idempotency key also goes once its message has left the
   * history: a retry could not be answered with the original any more, and without this a
   * busy channel would hold a day of keys in memory (a soak showed it).
   */
  private sweep(channel: MemoryChannel, now: number, idempotencyMs: number): void {
    this.sweepKeys(channel, channel.keys, now, idempotencyMs);
    this.sweepKeys(channel, channel.collided, now, idempotencyMs);
    for (const [key, until] of channel.recent) {
      if (until > now) break;
      channel.recent.delete(key);
    }
  }

  private sweepKeys<K>(channel: MemoryChannel, keys: Map<K, number>, now: number, idempotencyMs: number): void {
    for (const [key, seq] of keys) {
      const message = this.at(channel, seq);
      if (message && message.createdAt + idempotencyMs > now) break;
      keys.delete(key);
    }
  }

  async after(channelId: string, afterSeq: number, limit: number): Promise<Message[]> {
    const channel = this.channel(channelId);
    const found: Message[] = [];
    for (let seq = afterSeq + 1; seq <= channel.seq && found.length < limit; seq++) {
      const message = this.at(channel, seq);
      if (message) found.push(message);
    }
    return found;
  }

  async before(channelId: string, beforeSeq: number | null, limit: number): Promise<Message[]> {
    const channel = this.channel(channelId);
    const found: Message[] = [];
    for (let seq = (beforeSeq ?? channel.seq + 1) - 1; seq > 0 && found.length < limit; seq--) {
      const message = this.at(channel, seq);
      if (!message) break; // dropped by retention: nothing older is kept
      found.push(message);
    }
    return found.reverse();
  }

  async get(channelId: string, messageId: string): Promise<Message | null> {
    return this.find(channelId, messageId);
  }

  private find(channelId: string, messageId: string): Message | null {
    const seq = seqOfId(messageId);
    const message = seq === null ? undefined : this.at(this.channel(channelId), seq);
    return message?.id === messageId ? message : null;
  }

  async update(channelId: string, messageId: string, change: MessageChange): Promise<Message | null> {
    // Read and write in one synchronous step, like the Redis store's compare-and-set.
    const message = this.find(channelId, messageId);
    if (!message) return null;
    const updated = applyChange(message, change);
    this.store(this.channel(channelId), updated);
    return updated;
  }

  async markRead(channelId: string, userId: string, seq: number): Promise<number> {
    const reads = this.channel(channelId).reads;
    const watermark = Math.max(reads.get(userId) ?? 0, seq);
    reads.set(userId, watermark);
    return watermark;
  }

  async lastRead(channelId: string, userId: string): Promise<number> {
    return this.channel(channelId).reads.get(userId) ?? 0;
  }

  async block(userId: string, blockedId: string): Promise<void> {
    let blocked = this.blocks.get(userId);
    if (!blocked) this.blocks.set(userId, (blocked = new Set()));
    blocked.add(blockedId);
  }

  async unblock(userId: string, blockedId: string): Promise<void> {
    this.blocks.get(userId)?.delete(blockedId);
  }

  async isBlocked(userId: string, byUserId: string): Promise<boolean> {
    return this.blocks.get(byUserId)?.has(userId) ?? false;
  }

  async createRoom(roomId: string, info: RoomInfo, members: readonly string[], limits: RoomLimits): Promise<boolean> {
    let owned = 0;
    for (const id of [...this.rooms.keys()]) if (this.liveRoom(id)?.info.ownerId === info.ownerId) owned++;
    if (owned >= limits.maxPerOwner) return false;
    this.rooms.set(roomId, { info, members: new Set(members), expiresAt: Date.now() + limits.ttlMs });
    return true;
  }

  async touchRoom(roomId: string, ttlMs: number): Promise<void> {
    const room = this.liveRoom(roomId);
    if (room) room.expiresAt = Date.now() + ttlMs;
  }

  async room(roomId: string): Promise<RoomInfo | null> {
    return this.liveRoom(roomId)?.info ?? null;
  }

  async addRoomMember(roomId: string, userId: string): Promise<void> {
    this.liveRoom(roomId)?.members.add(userId);
  }

  async isRoomMember(roomId: string, userId: string): Promise<boolean> {
    return this.liveRoom(roomId)?.members.has(userId) ?? false;
  }
}

/**
 * KEYS: seq, messages (hash seq -> json), idempotency key, duplicate-content key, epoch
 * ARGV: json body without its opening brace, id suffix, retention, duplicate ms, idempotency ms, new epoch, ttl ms
 */
const APPEND = defineWriteScript(`
local known = redis.call('GET', KEYS[3])
if known then
  local original = redis.call('HGET', KEYS[2], known)
  if original then return {'retry', original} end
end
if tonumber(ARGV[4]) > 0 and redis.call('EXISTS', KEYS[4]) == 1 then return {'duplicate-content'} end
if redis.call('EXISTS', KEYS[5]) == 0 then
  -- A history that does not exist (new, or lost with the data) starts a new epoch at seq 1.
  redis.call('SET', KEYS[5], ARGV[6])
  redis.call('DEL', KEYS[1], KEYS[2])
end
local seq = redis.call('INCR', KEYS[1])
local json = '{"seq":' .. seq .. ',"id":"' .. seq .. '-' .. ARGV[2] .. '",' .. ARGV[1]
redis.call('HSET', KEYS[2], seq, json)
local retention = tonumber(ARGV[3])
if seq > retention then redis.call('HDEL', KEYS[2], seq - retention) end
redis.call('SET', KEYS[3], seq, 'PX', ARGV[5])
if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[4], 1, 'PX', ARGV[4]) end
local ttl = tonumber(ARGV[7])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[5], ttl)
end
return {'appended', json}
`);

/**
 * KEYS: messages hash. ARGV: seq, new json, the json it replaces (compare-and-set). Run again
 * after a reconnect, it finds its own write and answers -1: `update` applies the change again,
 * which changes nothing more (every change is idempotent).
 */
const REPLACE = defineWriteScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
if current ~= ARGV[3] then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`);

/**
 * KEYS: epoch, seq, messages. ARGV: new epoch. Same epoch rule as APPEND, atomically. A read
 * with no deadline: run late, it makes the epoch the next META or APPEND would make anyway.
 */
const META = defineScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[2], KEYS[3])
end
return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]) or '0'}
`);

/** KEYS: reads hash. ARGV: userId, seq. */
const MARK_READ = defineWriteScript(`
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local seq = tonumber(ARGV[2])
if seq > current then redis.call('HSET', KEYS[1], ARGV[1], seq); return seq end
return current
`);

/*
 * A room is three keys in three slots on a Redis Cluster: its hash, its members, and the
 * owner's rooms (the quota). So it is made in steps: the quota first (a room id already
 * there is this call run again, as room ids are fresh per call), then the members, then the
 * hash, which makes the room visible (`room()` reads it) only once its members are in. A
 * step that fails gives the quota back when it can; otherwise the id holds a place in the
 * owner's quota until its expiry, and no room exists.
 */

/** KEYS: owner's rooms (zset roomId -> expiry). ARGV: now, ttlMs, maxPerOwner, roomId. 0 when the owner is at the quota. */
const RESERVE_ROOM = defineWriteScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** KEYS: a room's hash or members set. ARGV: ttlMs, 'hash' or 'set', then field-value pairs or members. */
const FILL_ROOM = defineWriteScript(`
if #ARGV > 2 then
  if ARGV[2] == 'hash' then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) else redis.call('SADD', KEYS[1], unpack(ARGV, 3)) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`);

/** KEYS: room hash. ARGV: ttlMs. Pushes its expiry; returns the owner, or nil when there is no such room. */
const TOUCH_ROOM = defineWriteScript(`
local owner = redis.call('HGET', KEYS[1], 'ownerId')
if not owner then return false end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return owner
`);

/** KEYS: a set. ARGV: 'add' or 'remove', member. Blocks and room members, with a deadline. */
const SET_MEMBER = defineWriteScript(`
if ARGV[1] == 'add' then return redis.call('SADD', KEYS[1], ARGV[2]) end
return redis.call('SREM', KEYS[1], ARGV[2])
`);

export class RedisChatStore implements ChatStore {
  constructor(private readonly redis: RedisConnections) {}

  private keys(channelId: string) {
    const k = (part: string) => this.redis.key('chat', `{${channelId}}`, part);
    return { seq: k('seq'), messages: k('msgs'), epoch: k('epoch'), reads: k('reads') };
  }

  async meta(channelId: string): Promise<ChannelMeta> {
    const keys = this.keys(channelId);
    const [epoch, seq] = (await this.redis.run((client) => META(client, [keys.epoch, keys.seq, keys.messages], [newEpoch()]))) as [string, string];
    return { epoch, lastSeq: Number(seq) };
  }

  async append(channelId: string, draft: MessageDraft, contentKey: string, options: AppendOptions): Promise<AppendOutcome> {
    const keys = this.keys(channelId);
    const body = JSON.stringify(draft).slice(1);
    const suffix = Math.random().toString(36).slice(2, 10);
    const idempotency = this.redis.key('chat', `{${channelId}}`, 'key', draft.senderId, draft.clientMsgId);
    const duplicate = this.redis.key('chat', `{${channelId}}`, 'recent', contentKey);
    const reply = (await this.redis.run((client, deadline) =>
      APPEND(
        client,
        [keys.seq, keys.messages, idempotency, duplicate, keys.epoch],
        [body, suffix, options.retention, options.duplicateWindowMs, options.idempotencyMs, newEpoch(), options.historyTtlMs],
        deadline,
      ),
    )) as [string, string?];
    if (reply[0] === 'duplicate-content') return { kind: 'duplicate-content' };
    const message = JSON.parse(reply[1] ?? '') as Message;
    // ioredis sends a command again after a reconnect when its reply was lost: a 'retry' of the
    // message this very call stored (its id has our suffix) is still ours to report, and broadcast.
    const ours = message.id === `${message.seq}-${suffix}`;
    return { kind: reply[0] === 'retry' && !ours ? 'retry' : 'appended', message };
  }

  async after(channelId: string, afterSeq: number, limit: number): Promise<Message[]> {
    const { seq: seqKey, messages } = this.keys(channelId);
    return this.redis.run(async (client) => {
      const last = Number((await client.get(seqKey)) ?? 0);
      const to = Math.min(last, afterSeq + limit);
      if (to <= afterSeq) return [];
      const fields = Array.from({ length: to - afterSeq }, (_, i) => String(afterSeq + 1 + i));
      return parseAll(await client.hmget(messages, ...fields));
    });
  }

  async before(channelId: string, beforeSeq: number | null, limit: number): Promise<Message[]> {
    const { seq: seqKey, messages } = this.keys(channelId);
    return this.redis.run(async (client) => {
      const top = beforeSeq === null ? Number((await client.get(seqKey)) ?? 0) : beforeSeq - 1;
      const from = Math.max(1, top - limit + 1);
      if (top < 1) return [];
      const fields = Array.from({ length: top - from + 1 }, (_, i) => String(from + i));
      const found = await client.hmget(messages, ...fields);
      // Keep only the unbroken run ending at `top` (older ones were dropped by retention).
      let start = found.length;
      while (start > 0 && found[start - 1] !== null) start--;
      return parseAll(found.slice(start));
    });
  }

  async get(channelId: string, messageId: string): Promise<Message | null> {
    const seq = seqOfId(messageId);
    if (seq === null) return null;
    const raw = await this.redis.run((client) => client.hget(this.keys(channelId).messages, String(seq)));
    const message = raw === null ? null : (JSON.parse(raw) as Message);
    return message?.id === messageId ? message : null;
  }

  async update(channelId: string, messageId: string, change: MessageChange): Promise<Message | null> {
    const seq = seqOfId(messageId);
    if (seq === null) return null;
    const { messages } = this.keys(channelId);
    // Optimistic: read, change, write only if nothing changed in between; retry otherwise.
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = await this.redis.run((client) => client.hget(messages, String(seq)));
      if (raw === null) return null;
      const current = JSON.parse(raw) as Message;
      if (current.id !== messageId) return null;
      const updated = applyChange(current, change);
      const written = await this.redis.run((client, deadline) => REPLACE(client, [messages], [seq, JSON.stringify(updated), raw], deadline));
      if (written === 1) return updated;
      if (written === 0) return null;
    }
    throw new Error(`message ${messageId} kept changing; gave up`);
  }

  async markRead(channelId: string, userId: string, seq: number): Promise<number> {
    return Number(await this.redis.run((client, deadline) => MARK_READ(client, [this.keys(channelId).reads], [userId, seq], deadline)));
  }

  async lastRead(channelId: string, userId: string): Promise<number> {
    return Number((await this.redis.run((client) => client.hget(this.keys(channelId).reads, userId))) ?? 0);
  }

  async block(userId: string, blockedId: string): Promise<void> {
    await this.redis.run((client, deadline) => SET_MEMBER(client, [this.redis.key('chat', 'blocks', userId)], ['add', blockedId], deadline));
  }

  async unblock(userId: string, blockedId: string): Promise<void> {
    await this.redis.run((client, deadline) => SET_MEMBER(client, [this.redis.key('chat', 'blocks', userId)], ['remove', blockedId], deadline));
  }

  async isBlocked(userId: string, byUserId: string): Promise<boolean> {
    return (await this.redis.run((client) => client.sismember(this.redis.key('chat', 'blocks', byUserId), userId))) === 1;
  }

  async createRoom(roomId: string, info: RoomInfo, members: readonly string[], limits: RoomLimits): Promise<boolean> {
    const [hash, memberSet, owned] = [this.redis.key('chat', 'room', roomId), this.redis.key('chat', 'room', roomId, 'members'), this.ownedRooms(info.ownerId)];
    return this.redis.run(async (client, deadline) => {
      if ((await RESERVE_ROOM(client, [owned], [Date.now(), limits.ttlMs, limits.maxPerOwner, roomId], deadline)) !== 1) return false;
      try {
        await FILL_ROOM(client, [memberSet], [limits.ttlMs, 'set', ...members], deadline);
        await FILL_ROOM(client, [hash], [limits.ttlMs, 'hash', 'name', info.name, 'visibility', info.visibility, 'ownerId', info.ownerId], deadline);
      } catch (error) {
        await client.zrem(owned, roomId).catch(() => undefined);
        throw error;
      }
      return true;
    });
  }

  async touchRoom(roomId: string, ttlMs: number): Promise<void> {
    await this.redis.run(async (client, deadline) => {
      const owner = (await TOUCH_ROOM(client, [this.redis.key('chat', 'room', roomId)], [ttlMs], deadline)) as string | null;
      if (owner === null) return;
      const owned = this.ownedRooms(owner);
      await Promise.all([client.pexpire(this.redis.key('chat', 'room', roomId, 'members'), ttlMs), client.multi().zadd(owned, Date.now() + ttlMs, roomId).pexpire(owned, ttlMs).exec()]);
    });
  }

  private ownedRooms(ownerId: string): string {
    return this.redis.key('chat', 'owner', ownerId, 'rooms');
  }

  async room(roomId: string): Promise<RoomInfo | null> {
    const info = await this.redis.run((client) => client.hgetall(this.redis.key('chat', 'room', roomId)));
    const { name, visibility, ownerId } = info;
    if (!name || !ownerId || (visibility !== 'public' && visibility !== 'private')) return null;
    return { name, visibility, ownerId };
  }

  async addRoomMember(roomId: string, userId: string): Promise<void> {
    await this.redis.run((client, deadline) => SET_MEMBER(client, [this.redis.key('chat', 'room', roomId, 'members')], ['add', userId], deadline));
  }

  async isRoomMember(roomId: string, userId: string): Promise<boolean> {
    return (await this.redis.run((client) => client.sismember(this.redis.key('chat', 'room', roomId, 'members'), userId))) === 1;
  }
}

function parseAll(raws: readonly (string | null)[]): Message[] {
  const messages: Message[] = [];
  for (const raw of raws) if (raw !== null) messages.push(JSON.parse(raw) as Message);
  return messages;
}
