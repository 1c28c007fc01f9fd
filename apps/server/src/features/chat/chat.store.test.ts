/** One contract, run against the in-memory store and the Redis store. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../../../test/support/start-redis.js';
import { connectStores, useStoreConnections } from '../../../test/support/redis-connections.js';
import type { RedisConnections } from '../../api.js';
import { MemoryChatStore, RedisChatStore, type AppendOptions, type ChatStore, type MessageDraft } from './chat.store.js';

const options: AppendOptions = { retention: 5, duplicateWindowMs: 30_000, idempotencyMs: 60_000, historyTtlMs: 0 };
let counter = 0;
const draft = (senderId: string, content: string, clientMsgId = `c${counter++}`): MessageDraft => ({
  channelId: 'room:test',
  senderId,
  senderName: senderId,
  content,
  contentType: 'text',
  clientMsgId,
  createdAt: Date.now(),
  reactions: {},
});

let redis: TestRedis;
let connections: RedisConnections;
beforeAll(async () => {
  redis = await startRedis();
  connections = await connectStores(redis.url, 'contract:');
});
afterAll(async () => {
  await connections.close();
  await redis[Symbol.asyncDispose]();
});

const onCluster = useStoreConnections('contract:', 'cluster');

const stores: [string, () => ChatStore][] = [
  ['memory', () => new MemoryChatStore()],
  ['redis', () => new RedisChatStore(connections)],
  ['redis cluster', () => new RedisChatStore(onCluster())],
];

describe.each(stores)('ChatStore contract: %s', (_name, make) => {
  let channel = 0;
  const fresh = () => `room:c${Date.now().toString(36)}${channel++}`;

  it('allocates seq 1, 2, 3 ... and keeps one epoch', async () => {
    const store = make();
    const id = fresh();
    const before = await store.meta(id);
    expect(before.lastSeq).toBe(0);
    const seqs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await store.append(id, { ...draft('a', `m${i}`), channelId: id }, `k${i}`, options);
      if (outcome.kind !== 'appended') throw new Error(outcome.kind);
      seqs.push(outcome.message.seq);
      expect(outcome.message.id.startsWith(`${outcome.message.seq}-`)).toBe(true);
    }
    expect(seqs).toEqual([1, 2, 3]);
    expect(await store.meta(id)).toEqual({ epoch: before.epoch, lastSeq: 3 });
  });

  it('allocates without gaps or duplicates under concurrency', async () => {
    const store = make();
    const id = fresh();
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(id, draft(`u${i % 5}`, `x${i}`), `k${i}`, options)));
    const seqs = outcomes.map((outcome) => (outcome.kind === 'appended' ? outcome.message.seq : -1)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('returns the original for a retried clientMsgId and refuses duplicate content', async () => {
    const store = make();
    const id = fresh();
    const first = await store.append(id, draft('a', 'hello', 'same'), 'hello-key', options);
    const retry = await store.append(id, draft('a', 'hello', 'same'), 'hello-key', options);
    expect(retry).toEqual({ kind: 'retry', message: first.kind === 'appended' ? first.message : null });
    expect(await store.append(id, draft('a', 'hello', 'other'), 'hello-key', options)).toEqual({ kind: 'duplicate-content' });
    expect((await store.meta(id)).lastSeq).toBe(1);
  });

  it('keeps the last `retention` messages and pages history', async () => {
    const store = make();
    const id = fresh();
    for (let i = 1; i <= 8; i++) await store.append(id, draft('a', `m${i}`), `r${i}`, options);
    expect((await store.after(id, 0, 100)).map((message) => message.seq)).toEqual([4, 5, 6, 7, 8]);
    expect((await store.after(id, 6, 100)).map((message) => message.seq)).toEqual([7, 8]);
    expect((await store.before(id, null, 2)).map((message) => message.seq)).toEqual([7, 8]);
    expect((await store.before(id, 7, 10)).map((message) => message.seq)).toEqual([4, 5, 6]);
  });

  it('updates a message by id (edit, react, delete) and finds nothing for a wrong id', async () => {
    const store = make();
    const id = fresh();
    const appended = await store.append(id, draft('a', 'typo'), 't', options);
    if (appended.kind !== 'appended') throw new Error('not appended');
    const { message } = appended;
    expect(await store.get(id, `${message.seq}-nope`)).toBeNull();
    await store.update(id, message.id, { kind: 'edit', content: 'fixed', editedAt: 5 });
    await Promise.all(['b', 'c', 'd'].map((userId) => store.update(id, message.id, { kind: 'react', emoji: '👍', userId, on: true, maxDistinct: 20 })));
    const reacted = await store.get(id, message.id);
    expect(reacted?.content).toBe('fixed');
    expect(reacted?.reactions['👍']?.sort()).toEqual(['b', 'c', 'd']);
    const deleted = await store.update(id, message.id, { kind: 'delete', editedAt: 6 });
    expect(deleted).toMatchObject({ deleted: true, content: '' });
  });

  it('keeps read watermarks from going down, and blocks one way', async () => {
    const store = make();
    const id = fresh();
    expect(await store.markRead(id, 'a', 5)).toBe(5);
    expect(await store.markRead(id, 'a', 3)).toBe(5);
    expect(await store.lastRead(id, 'a')).toBe(5);
    await store.block('a', 'b');
    expect(await store.isBlocked('b', 'a')).toBe(true);
    expect(await store.isBlocked('a', 'b')).toBe(false);
    await store.unblock('a', 'b');
    expect(await store.isBlocked('b', 'a')).toBe(false);
  });
});

describe('MemoryChatStore', () => {
  it('keeps idempotency keys only while their message is in the history', async () => {
    const store = new MemoryChatStore();
    const long: AppendOptions = { ...options, idempotencyMs: 24 * 3600 * 1000 };
    for (let i = 1; i <= 2_000; i++) await store.append('room:busy', draft('a', `m${i}`, `k${i}`), `d${i}`, long);
    const keys = (store as unknown as { channels: Map<string, { keys: Map<string, unknown> }> }).channels.get('room:busy')?.keys;
    // retention 5, swept every 256 appends: at most 5 + 255 keys, never one per message.
    expect(keys?.size).toBeLessThan(5 + 256);
    // A retry of a message still in the history is still answered with the original.
    const retry = await store.append('room:busy', draft('a', 'm2000', 'k2000'), 'd2000', long);
    expect(retry).toMatchObject({ kind: 'retry', message: { seq: 2_000 } });
  });

  it('forgets a clientMsgId once its message is older than the idempotency window', async () => {
    const store = new MemoryChatStore();
    const short: AppendOptions = { ...options, idempotencyMs: 1_000, duplicateWindowMs: 0 };
    const old = { ...draft('a', 'first', 'same'), createdAt: Date.now() - 2_000 };
    expect(await store.append('room:window', old, 'w1', short)).toMatchObject({ kind: 'appended', message: { seq: 1 } });
    const fresh = draft('a', 'second', 'same');
    expect(await store.append('room:window', fresh, 'w2', short)).toMatchObject({ kind: 'appended', message: { seq: 2, content: 'second' } });
    expect(await store.append('room:window', fresh, 'w2', short)).toMatchObject({ kind: 'retry', message: { seq: 2 } });
  });

  it('stores the channel id it was asked for, and messages start with no reactions', async () => {
    const store = new MemoryChatStore();
    const outcome = await store.append('room:mine', draft('a', 'hi'), 'm1', options);
    expect(outcome).toMatchObject({ kind: 'appended', message: { channelId: 'room:mine', reactions: {} } });
  });
});

describe('RedisChatStore after Redis lost its data', () => {
  it('starts a new epoch at seq 1', async () => {
    const store = new RedisChatStore(connections);
    await store.append('room:lost', draft('a', 'one'), 'l1', options);
    const before = await store.meta('room:lost');
    await redis.client().flushall();
    const after = await store.meta('room:lost');
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.lastSeq).toBe(0);
    const next = await store.append('room:lost', draft('a', 'two'), 'l2', options);
    expect(next.kind === 'appended' && next.message.seq).toBe(1);
  });
});

describe('RedisChatStore with Redis frozen past the command timeout', () => {
  it('writes nothing it failed with UNAVAILABLE, when Redis wakes and runs the queued scripts', async () => {
    const store = new RedisChatStore(connections);
    const id = 'room:frozen';
    // Loads the scripts, so that the frozen commands are the writes themselves.
    await store.append(id, draft('a', 'warm'), 'f0', options);
    await store.markRead(id, 'a', 1);
    await store.block('c', 'd');
    const lost = draft('a', 'lost', 'frozen');
    redis.freeze();
    let outcomes;
    try {
      outcomes = await Promise.allSettled([store.append(id, lost, 'f1', options), store.markRead(id, 'b', 1), store.block('a', 'b')]);
    } finally {
      redis.thaw();
    }
    for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'UNAVAILABLE' } });
    // Reads go over the same connection, after the scripts that were waiting in Redis's input.
    await vi.waitFor(() => expect(connections.healthy).toBe(true), { timeout: 10_000 });
    expect((await store.meta(id)).lastSeq).toBe(1);
    expect(await store.lastRead(id, 'b')).toBe(0);
    expect(await store.isBlocked('b', 'a')).toBe(false);
    // The retry is a new message, not the retry of one that was never reported.
    expect(await store.append(id, lost, 'f1', options)).toMatchObject({ kind: 'appended', message: { seq: 2, clientMsgId: 'frozen' } });
  });
});

describe('RedisChatStore when a reply is lost with its connection', () => {
  /**
   * Runs `write` with its reply lost: the node stops reading, Redis runs the write (until `ran`
   * says so), then the connection drops with the reply unread and ioredis sends it again.
   * Returns once the store is healthy again (the health check fails while the connection is down).
   */
  async function withReplyLost<T>(write: () => Promise<T>, ran: () => Promise<boolean>): Promise<T> {
    // A single Redis: one connection whose stream can be paused.
    const { stream } = connections.main as Redis;
    stream.pause();
    const written = write();
    await expect.poll(ran).toBe(true);
    stream.destroy();
    const outcome = await written;
    await vi.waitFor(() => expect(connections.healthy && connections.main.status === 'ready').toBe(true), { timeout: 5_000 });
    return outcome;
  }

  it('reports the append it stored as appended, though it ran again and found itself', async () => {
    const store = new RedisChatStore(connections);
    const id = 'room:resent';
    await store.append(id, draft('a', 'warm'), 'r0', options); // loads the script
    const observer = redis.client();
    const lastSeq = () => observer.get(`contract:chat:{${id}}:seq`);
    const appended = await withReplyLost(() => store.append(id, draft('a', 'sent once', 'resent'), 'r1', options), async () => (await lastSeq()) === '2');
    expect(appended).toMatchObject({ kind: 'appended', message: { seq: 2, clientMsgId: 'resent' } });
    expect(await lastSeq()).toBe('2');
  });

  it('reports the room it made as made, though it ran again with the owner now at the quota', async () => {
    const store = new RedisChatStore(connections);
    const limits = { maxPerOwner: 1, ttlMs: 60_000 };
    // Loads the scripts, so that the write below is the script itself.
    await store.createRoom('warm-room', { name: 'warm', visibility: 'public', ownerId: 'other' }, ['other'], limits);
    const observer = redis.client();
    // The reply lost is that of the first step, the quota's: sent again, it finds its own room there.
    const made = await withReplyLost(
      () => store.createRoom('resent-room', { name: 'den', visibility: 'public', ownerId: 'resender' }, ['resender'], limits),
      async () => (await observer.zscore('contract:chat:owner:resender:rooms', 'resent-room')) !== null,
    );
    expect(made).toBe(true);
    expect(await store.room('resent-room')).toEqual({ name: 'den', visibility: 'public', ownerId: 'resender' });
  });
});
